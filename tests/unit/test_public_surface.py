"""What a vendor may rely on: ``floe_core.__all__``, the reference page, one error hierarchy."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import floe_core
from floe_core import errors

CORE = Path(floe_core.__file__).parent
ROOT = CORE.parents[1]
REFERENCE = ROOT / "docs" / "reference" / "core.md"
# Modules a reader imports from, each documented on the reference page.
PUBLIC_MODULES = {
    "artifacts",
    "bounds",
    "errors",
    "events",
    "files",
    "lifecycle",
    "plugin_interfaces",
    "plugin_registry",
    "redaction",
    "run_flags",
    "schemas",
    "secrets",
    "selectors",
    "vocabulary",
    "telemetry",
}
# The console script's implementation: private, but not underscored (pyproject names it).
PRIVATE_BY_DOCSTRING = {"cli"}


def modules() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules([str(CORE)]))


def test_every_module_is_public_or_marked_private() -> None:
    unmarked = [
        name
        for name in modules()
        if not name.startswith("_") and name not in PUBLIC_MODULES | PRIVATE_BY_DOCSTRING
    ]
    assert unmarked == []
    for name in PRIVATE_BY_DOCSTRING:
        doc = importlib.import_module(f"floe_core.{name}").__doc__ or ""
        assert doc.startswith("Private:"), name
    for name in (n for n in modules() if n.startswith("_")):
        doc = importlib.import_module(f"floe_core.{name}").__doc__ or ""
        assert doc.startswith("Private:"), name


@pytest.mark.parametrize("module", sorted(PUBLIC_MODULES))
def test_a_public_module_exports_only_what_the_package_exports(module: str) -> None:
    imported = importlib.import_module(f"floe_core.{module}")
    assert imported.__all__, module
    for name in imported.__all__:
        assert name in floe_core.__all__, f"floe_core.{module}.{name} is not in floe_core.__all__"
        assert getattr(floe_core, name) is getattr(imported, name)


def test_every_exported_name_exists_and_is_listed_once() -> None:
    assert len(floe_core.__all__) == len(set(floe_core.__all__))
    missing = [name for name in floe_core.__all__ if not hasattr(floe_core, name)]
    assert missing == []
    homes = {
        name
        for module in PUBLIC_MODULES
        for name in importlib.import_module(f"floe_core.{module}").__all__
    }
    assert set(floe_core.__all__) == homes


def test_the_lifecycle_capability_and_the_selector_helpers_are_public() -> None:
    for name in (
        "DBTLifecycle",
        "supports_lifecycle",
        "selector_members",
        "validate_selector",
        "validate_target",
        "vars_argument",
    ):
        assert name in floe_core.__all__


def _classes_defined_in_floe_core() -> list[type]:
    found = []
    for name in modules():
        module = importlib.import_module(f"floe_core.{name}")
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and value.__module__ == module.__name__
        ]
    return found


def test_every_error_is_one_hierarchy_in_floe_core_errors_and_exported() -> None:
    raised = [cls for cls in _classes_defined_in_floe_core() if issubclass(cls, Exception)]
    public = [cls for cls in raised if not cls.__module__.split(".")[-1].startswith("_")]
    assert {cls.__module__ for cls in public} == {"floe_core.errors"}
    for cls in public:
        assert issubclass(cls, errors.DBTError), cls
        assert cls.__name__ in floe_core.__all__, cls
    assert {cls.__name__ for cls in public} == {
        "DBTError",
        "DBTConfigurationError",
        "PluginLoadError",
        "ManifestError",
        "DBTCompilationError",
        "DBTExecutionError",
        "DBTExecutionTimeout",
        "DBTRemoteError",
        "DBTAuthenticationError",
        "DBTArtifactNotFoundError",
        "UnreadableFile",
    }


def test_a_remote_error_names_no_vendor() -> None:
    error = errors.DBTRemoteError("refused", status_code=403, run_id=7, user_message="Nope.")
    assert str(error) == "refused (run 7; HTTP 403; the API says: Nope.)"


def test_the_reference_page_documents_the_public_modules_only() -> None:
    documented = set(re.findall(r"^::: floe_core\.(\w+)$", REFERENCE.read_text(), re.MULTILINE))
    assert documented == PUBLIC_MODULES
    assert re.search(r"^::: floe_core$", REFERENCE.read_text(), re.MULTILINE)


def test_floe_core_refers_only_to_documents_in_the_repository() -> None:
    cited = {
        (path.name, document)
        for path in CORE.rglob("*.py")
        for document in re.findall(r"[\w./-]+\.md\b", path.read_text(encoding="utf-8"))
    }
    missing = [(name, doc) for name, doc in cited if not (ROOT / doc).is_file()]
    assert missing == []
