"""A frozen parse thaws into a manifest equal to it and sharing nothing with it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest
from floe_dbt_compliance.projects import ProjectCopy

from floe_dbt_local.parsed import FrozenManifest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def parsed(project: Callable[[str], ProjectCopy]) -> Manifest:
    copy = project("ephemeral")
    outcome = dbtRunner().invoke(
        ["parse", "--project-dir", str(copy.project_dir), "--profiles-dir", str(copy.profiles_dir)]
    )
    assert outcome.success
    manifest: Manifest = outcome.result
    return manifest


def test_a_thawed_manifest_holds_every_field_of_the_parse(parsed: Manifest) -> None:
    frozen = FrozenManifest(parsed)
    thawed = frozen.thaw()
    assert type(thawed) is Manifest
    for field in dataclasses.fields(Manifest):
        value, copy = getattr(parsed, field.name), getattr(thawed, field.name)
        # Each field is the same type as the parse's, in its own place (dbt's
        # own reducer shifts the lookups one field along in dbt-core 1.11).
        assert type(copy) is type(value), field.name
        if isinstance(value, dict) and value:
            assert copy is not value, field.name
    # What dbt writes as manifest.json is the same from either.
    assert thawed.writable_manifest().to_dict() == parsed.writable_manifest().to_dict()
    assert thawed.nodes.keys() == parsed.nodes.keys()
    assert thawed._lock is not parsed._lock
    assert frozen.size > 0
    assert repr(frozen) == f"FrozenManifest(size={frozen.size})"


def test_what_one_thawed_copy_compiles_never_reaches_the_next(parsed: Manifest) -> None:
    frozen = FrozenManifest(parsed)
    first = frozen.thaw()
    amounts = first.nodes["model.ephemeral.amounts"]
    amounts.extra_ctes_injected = True
    amounts.compiled_code = "select 1"
    second = frozen.thaw()
    node = second.nodes["model.ephemeral.amounts"]
    assert (node.extra_ctes_injected, node.compiled_code) == (False, None)
    assert node is not amounts
    # Frozen before the parse's own object is compiled into, so that does not reach it either.
    parsed.nodes["model.ephemeral.amounts"].extra_ctes_injected = True
    assert frozen.thaw().nodes["model.ephemeral.amounts"].extra_ctes_injected is False
