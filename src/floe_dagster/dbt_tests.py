"""Which dbt tests become asset checks, on which asset, as plain data.

Every test ``dbt build`` runs (generic and singular data tests, and unit
tests) becomes exactly one asset check, so a full materialisation evaluates
as many checks as ``dbt build`` runs tests. First the test's *subject*, the
node it is about:

1. ``meta: {dagster: {ref: {name: ..., package: ..., version: ...}}}`` in
   the test's config names it (dagster-dbt's convention);
2. else a generic test's ``attached_node`` (``not_null`` on a column of
   ``orders`` is about ``orders``; a ``relationships`` test about the model
   it is declared on);
3. else its only parent (a singular test reading one model, a source test, a
   unit test's model);
4. else, for a test reading several nodes, the one furthest downstream (the
   one with most assets upstream; ties broken by id), built last.

Then the asset the check is on, its *host*:

* the subject itself, when these assets build it;
* else (an ephemeral model; a source; a seed or snapshot of a runtime
  without the lifecycle capability) the first asset, by id, that reads the
  subject directly or through ephemeral models, so a materialisation of
  what reads it runs the test;
* else, when nothing built reads it: the subject's own external asset (a
  source, a seed): the check runs in a checks-only step when it is selected
  (or the whole code location runs); an ephemeral model's test goes to the
  first asset it reads;
* else the test is *not mapped*: it is reported when the definitions load
  (a warning, and the Definitions' metadata), never dropped in silence.

Every other asset the test reads (through ephemeral models) is an
additional dependency of the check.

Severity: the test's ``config.severity`` (``error`` by default). An ``error``
test is a *blocking* check, as in dagster-dbt: when it fails, Dagster fails
the step after reporting it and skips what depends on the step. A ``warn``
test that finds rows is a warning. A unit test is an ``error`` check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from floe_dagster.dbt_graph import DbtAssetNode
from floe_dagster.lineage import Lineage
from floe_dagster.manifest_model import DbtManifest, DbtNode, as_manifest
from floe_dagster.selection import ExactSelector

__all__ = ["DbtCheckNode", "TestMapping", "map_dbt_tests", "read_dbt_checks"]

_TEST_TYPES = ("test", "unit_test")


@dataclass(frozen=True)
class DbtCheckNode:
    """One dbt test that is an asset check.

    Attributes:
        unique_id: dbt's id, e.g. ``test.shop.not_null_orders_id.a1b2c3``.
        check_name: The dbt test's name (made a valid, unique Dagster name
            when the assets are built: :mod:`floe_dagster.names`).
        attached_to: ``unique_id`` of the asset it checks (its host).
        parents: ``unique_id`` of every asset it reads (``attached_to`` included).
        severity: ``error`` or ``warn``, from the test's config.
        selector: The selection expression that selects exactly this test.
        description: The test's description, ``None`` when empty.
        tested: The dbt node the test is about (its subject).
        resource_type: ``test`` or ``unit_test``.
        mapping: How ``tested`` led to ``attached_to``, in words.
    """

    unique_id: str
    check_name: str
    attached_to: str
    parents: tuple[str, ...]
    severity: str
    selector: str
    description: str | None = None
    tested: str | None = None
    resource_type: str = "test"
    mapping: str = "tests it"

    @property
    def blocking(self) -> bool:
        """Whether a failure stops what depends on the asset (``error`` severity)."""
        return self.severity == "error"


@dataclass(frozen=True)
class TestMapping:
    """Every test of a manifest: the checks, and the tests no asset can carry."""

    __test__ = False  # not a pytest class

    checks: tuple[DbtCheckNode, ...]
    unmapped: tuple[tuple[str, str], ...]


def read_dbt_checks(
    manifest: DbtManifest | Mapping[str, Any],
    assets: Iterable[DbtAssetNode],
    selectors: ExactSelector,
) -> list[DbtCheckNode]:
    """List the tests of a manifest as checks (see :func:`map_dbt_tests`)."""
    return list(map_dbt_tests(manifest, assets, selectors).checks)


def map_dbt_tests(
    manifest: DbtManifest | Mapping[str, Any],
    assets: Iterable[DbtAssetNode],
    selectors: ExactSelector,
) -> TestMapping:
    """Map every data and unit test of a manifest to the asset check that runs it.

    Args:
        manifest: A parsed dbt ``manifest.json``.
        assets: The asset nodes (:func:`floe_dagster.dbt_graph.read_dbt_graph`).
        selectors: Exact selectors for the manifest's nodes.

    Returns:
        The checks, sorted by ``unique_id``, and each test that is not a
        check with the reason.

    Raises:
        DBTConfigurationError: A test cannot be selected on its own.
    """
    manifest = as_manifest(manifest)
    by_id = {asset.unique_id: asset for asset in assets}
    canonical = {
        uid: asset.unique_id
        for asset in by_id.values()
        for uid in (asset.unique_id, *asset.sources)
    }
    lineage = Lineage(manifest, canonical)
    tests = {
        uid: node
        for uid, node in [*manifest.nodes.items(), *manifest.unit_test_nodes.items()]
        if node.resource_type in _TEST_TYPES
    }
    checks: list[DbtCheckNode] = []
    unmapped: list[tuple[str, str]] = []
    for unique_id in sorted(tests):
        test = tests[unique_id]
        subject = _subject(test, manifest, lineage)
        host, how = _host(subject, by_id, lineage) if subject else (None, "it reads no node")
        if host is None:
            unmapped.append((unique_id, how))
            continue
        reads = {asset for asset in lineage.read_by(test) if asset in by_id}
        severity = str(test.config.severity or "").lower()
        checks.append(
            DbtCheckNode(
                unique_id=unique_id,
                check_name=test.name,
                attached_to=host,
                parents=tuple(sorted(reads | {host})),
                severity="warn" if severity == "warn" else "error",
                selector=selectors.for_node(unique_id),
                description=test.description or None,
                tested=subject,
                resource_type=test.resource_type,
                mapping=how,
            )
        )
    return TestMapping(tuple(checks), tuple(unmapped))


def _subject(test: DbtNode, manifest: DbtManifest, lineage: Lineage) -> str | None:
    ref = _dagster_ref(test)
    if ref is not None:
        project = manifest.metadata.project_name
        wanted = (ref.get("name"), ref.get("package") or project, _version(ref.get("version")))
        named = sorted(
            uid
            for uid, node in [*manifest.nodes.items(), *manifest.source_nodes.items()]
            if node.resource_type not in _TEST_TYPES
            and (node.name, node.package_name, _version(node.version)) == wanted
        )
        if named:
            return named[0]
    parents = manifest.parents(test)
    if test.attached_node and manifest.node(test.attached_node):
        return test.attached_node
    if len(parents) == 1:
        return parents[0]
    if not parents:
        return None
    # Built last, so every node the test reads exists when it runs.
    return max(sorted(parents), key=lambda parent: len(lineage.ancestors(parent)))


def _dagster_ref(test: DbtNode) -> Mapping[str, Any] | None:
    for meta in test.all_meta:
        dagster = meta.get("dagster")
        ref = dagster.get("ref") if isinstance(dagster, Mapping) else None
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
            return ref
    return None


def _version(value: Any) -> str | None:
    # dbt writes a version as a number or a string; meta may say either.
    return None if value is None else str(value)


def _host(
    subject: str, by_id: Mapping[str, DbtAssetNode], lineage: Lineage
) -> tuple[str | None, str]:
    """The asset that carries a check on ``subject``, and how it was chosen."""
    asset = lineage.asset_of(subject)
    if asset is not None and asset in by_id and by_id[asset].materialisable:
        return asset, "tests it" if asset == subject else f"tests {subject}, which is this asset"
    readers = [
        uid for uid in lineage.readers(subject) if uid in by_id and by_id[uid].materialisable
    ]
    what = "an ephemeral model" if lineage.is_ephemeral(subject) else "a node not built here"
    if readers:
        return readers[0], f"tests {subject}, {what} this asset reads"
    if asset is not None and asset in by_id:
        return asset, f"tests {subject}, an external asset nothing built here reads"
    upstream = [uid for uid in lineage.upstream(subject) if uid in by_id]
    upstream.sort(key=lambda uid: (not by_id[uid].materialisable, uid))
    if lineage.is_ephemeral(subject) and upstream:
        why = f"tests {subject}, an ephemeral model nothing reads, which reads this asset"
        return upstream[0], why
    return None, f"it tests {subject}, which is no asset and which no asset reads or is read by"
