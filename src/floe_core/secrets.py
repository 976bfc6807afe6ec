"""The two built-in secret backends: environment variables and a mounted directory."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from pydantic import SecretStr

from floe_core.errors import DBTConfigurationError
from floe_core.plugin_interfaces import SecretsPlugin

__all__ = ["SECRET_REF_PATTERN", "EnvSecretsPlugin", "FileSecretsPlugin", "validate_secret_ref"]

# Kubernetes secret-key rules: letters, digits, '-', '_', '.', no path separators.
SECRET_REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


def validate_secret_ref(ref: str) -> str:
    """Check that a reference is a name, not a path or a value.

    Args:
        ref: The reference to check.

    Returns:
        The reference, unchanged.

    Raises:
        DBTConfigurationError: The reference is empty, too long or holds
            characters a secret name cannot have.
    """
    if not SECRET_REF_PATTERN.fullmatch(ref) or ref in {".", ".."}:
        raise DBTConfigurationError(
            f"secret reference {ref[:40]!r} is not a valid name: use letters, digits, "
            "'-', '_' or '.' (at most 253 characters), e.g. 'dbt-cloud-api-token'"
        )
    return ref


class EnvSecretsPlugin(SecretsPlugin):
    """Reads ``FLOE_SECRET_<REF>`` (``dbt-cloud-api-token`` -> ``FLOE_SECRET_DBT_CLOUD_API_TOKEN``).

    Args:
        prefix: Prefix of the variable names.
        environ: The environment to read; the process environment by default.
    """

    def __init__(
        self, prefix: str = "FLOE_SECRET_", environ: Mapping[str, str] | None = None
    ) -> None:
        self._prefix = prefix
        self._environ = environ

    def variable_name(self, ref: str) -> str:
        """Return the environment variable that holds ``ref``."""
        validate_secret_ref(ref)
        return self._prefix + re.sub(r"[^A-Za-z0-9]", "_", ref).upper()

    def get_secret(self, ref: str) -> SecretStr:
        """Return the secret from the environment.

        Args:
            ref: The reference, e.g. ``dbt-cloud-api-token``.

        Returns:
            The value.

        Raises:
            DBTConfigurationError: The variable is unset or empty.
        """
        name = self.variable_name(ref)
        environ = os.environ if self._environ is None else self._environ
        value = environ.get(name)
        if not value:
            raise DBTConfigurationError(
                f"secret {ref!r} not found: environment variable {name} is not set "
                "(set it, or configure another secrets backend)"
            )
        return SecretStr(value)

    def __repr__(self) -> str:
        return f"EnvSecretsPlugin(prefix={self._prefix!r})"


class FileSecretsPlugin(SecretsPlugin):
    """Reads one file per reference from a directory, as Kubernetes mounts secrets.

    Args:
        directory: The mounted directory; ``/var/run/secrets/floe`` by default.
    """

    DEFAULT_DIRECTORY = Path("/var/run/secrets/floe")

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else self.DEFAULT_DIRECTORY

    def get_secret(self, ref: str) -> SecretStr:
        """Return the content of ``<directory>/<ref>``, trailing newlines removed.

        Args:
            ref: The reference, e.g. ``dbt-cloud-api-token``.

        Returns:
            The value.

        Raises:
            DBTConfigurationError: The file is missing, unreadable or empty.
        """
        path = self.directory / validate_secret_ref(ref)
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise DBTConfigurationError(
                f"secret {ref!r} not found: cannot read {path} ({exc.strerror}); "
                "mount the secret there or configure another secrets backend"
            ) from None
        if not value:
            raise DBTConfigurationError(f"secret {ref!r} is empty: {path} has no content")
        return SecretStr(value)

    def __repr__(self) -> str:
        return f"FileSecretsPlugin(directory={str(self.directory)!r})"
