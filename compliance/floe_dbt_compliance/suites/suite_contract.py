"""Contract suite (REQ-086, REQ-094): what a runtime promises before it runs anything.

The class behind the entry point, the seven methods' signatures, the
runtime's metadata and repr. Everything that runs dbt is in the scenario
suite, where plain dbt-core is the oracle.
"""

from __future__ import annotations

import inspect
import json
import re
from importlib.metadata import entry_points
from typing import Any

import pytest

from floe_core.plugin_interfaces import DBTPlugin
from floe_dbt_compliance.leaks import secrets_in_text
from floe_dbt_compliance.profile import RuntimeProfile
from floe_dbt_compliance.requirements import requirement


def _entry_point_class(name: str) -> Any:
    found = {ep.name: ep for ep in entry_points(group="floe.dbt")}
    assert name in found, f"{name!r} is not registered under the floe.dbt entry-point group"
    return found[name].load()


@requirement("interface.subclass")
def test_subclass(floe_dbt_runtime: str, floe_dbt_profile: RuntimeProfile) -> None:
    cls = _entry_point_class(floe_dbt_runtime)
    assert isinstance(cls, type), f"the entry point loads {cls!r}, not a class"
    assert issubclass(cls, DBTPlugin), f"{cls.__qualname__} does not subclass DBTPlugin"
    left = sorted(getattr(cls, "__abstractmethods__", ()))
    assert not left, f"{cls.__qualname__} leaves abstract methods unimplemented: {left}"
    assert issubclass(floe_dbt_profile.runtime_class, cls), (
        f"the harness's runtime is a {floe_dbt_profile.class_path}, not the entry point's "
        f"{cls.__module__}:{cls.__qualname__}"
    )


def _signature(function: Any) -> inspect.Signature:
    try:
        return inspect.signature(function, eval_str=True)
    except Exception:  # names only imported for type checking: compare the text
        return inspect.signature(function)


def _text(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation.replace(" ", "")
    if isinstance(annotation, type):
        return annotation.__name__
    return re.sub(r"\b(typing|pathlib|builtins)\.", "", str(annotation)).replace(" ", "")


@requirement("interface.signatures")
def test_signatures(floe_dbt_runtime: str) -> None:
    cls = _entry_point_class(floe_dbt_runtime)
    problems = []
    for method in sorted(DBTPlugin.__abstractmethods__):
        expected, got = _signature(getattr(DBTPlugin, method)), _signature(getattr(cls, method))
        shape = [(p.name, p.kind, p.default) for p in expected.parameters.values()]
        got_shape = [(p.name, p.kind, p.default) for p in got.parameters.values()]
        if shape != got_shape:
            problems.append(f"{method}{got} has not the parameters of {method}{expected}")
            continue
        pairs = [(expected.return_annotation, got.return_annotation)]
        pairs += [
            (p.annotation, got.parameters[p.name].annotation) for p in expected.parameters.values()
        ]
        for want, have in pairs:
            if want != have and _text(want) != _text(have):
                problems.append(f"{method}: annotation {have!r} differs from the ABC's {want!r}")
    assert not problems, "; ".join(problems)


@requirement("interface.entry-point")
def test_entry_point(floe_dbt_runtime: str) -> None:
    from floe_core.plugin_registry import PluginRegistry

    assert floe_dbt_runtime in PluginRegistry().names("dbt")
    loaded = PluginRegistry().load_class("dbt", floe_dbt_runtime)
    assert loaded is _entry_point_class(floe_dbt_runtime)


@requirement("metadata.type")
def test_metadata_type(floe_dbt_profile: RuntimeProfile) -> None:
    metadata = floe_dbt_profile.metadata
    assert metadata is not None, f"get_runtime_metadata() failed: {floe_dbt_profile.metadata_error}"
    kind = metadata.get("type")
    assert isinstance(kind, str), f"metadata has no 'type' string: {metadata}"
    assert kind, "metadata 'type' is empty"
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"metadata is not JSON-serialisable: {exc}", pytrace=False)


@requirement("secrets.repr")
def test_no_secret_in_repr(floe_dbt_profile: RuntimeProfile, floe_dbt_harness: Any) -> None:
    plugin = floe_dbt_harness("healthy").plugin
    for shown in (repr(plugin), str(plugin)):
        assert not secrets_in_text(shown, floe_dbt_profile.secrets), (
            "the runtime's repr/str shows a secret"
        )
