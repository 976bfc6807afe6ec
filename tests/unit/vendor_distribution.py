"""A vendor's distribution, ``acme-floe``: its module and a manifest selecting it.

Its runtimes declare their own configuration models; nothing in ``floe_core``
knows their names. ``conftest.py`` installs it for a test (a dist-info on sys.path).
"""

from __future__ import annotations

MODULE = '''
from typing import Any

from pydantic import Field

from floe_core.plugin_interfaces import DBTPlugin
from floe_core.schemas import ConfigSection, SecretRef


class AcmeConfig(ConfigSection):
    region: str
    api_key_ref: SecretRef
    timeout_seconds: float = Field(600, gt=0, le=86400)


class DefaultsConfig(ConfigSection):
    region: str = "eu"


class _Stub(DBTPlugin):
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
    def compile_project(self, project_dir, profiles_dir, target):
        raise NotImplementedError
    run_models = run_tests = get_manifest = get_run_results = compile_project
    def supports_parallel_execution(self) -> bool:
        return True
    def get_runtime_metadata(self) -> dict:
        return {"type": "acme"}


class AcmePlugin(_Stub):
    config_model = AcmeConfig

    @classmethod
    def from_config(cls, config, secrets, **options):
        return cls(config=config, key=secrets.get_secret(config.api_key_ref), **options)


class DefaultsPlugin(_Stub):
    config_model = DefaultsConfig

    @classmethod
    def from_config(cls, config, secrets, **options):
        return cls(config=config, secrets=secrets)


class PlainPlugin(_Stub):
    """No configuration model: the default from_config, no settings."""


class PlaceholderPlugin(PlainPlugin):
    discovery_warning = "PlaceholderPlugin not yet implemented. Use another runtime."


class NotAPlugin:
    pass
'''


ACME = """\
plugins:
  dbt_runtime: acme
  dbt_runtime_config:
    acme:
      region: eu-west
      api_key_ref: acme-api-key
"""
