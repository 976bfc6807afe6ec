"""Which dbt tests become asset checks, on which asset, as plain data.

A test is a check on the asset it is *attached* to, decided from the manifest
the way dagster-dbt decides it (users moving from dagster-dbt see the same
checks):

1. a generic test's ``attached_node`` (``not_null``/``unique`` on a column of
   ``orders`` is attached to ``orders``; a ``relationships`` test is attached
   to the model it is declared on);
2. a test that depends on exactly one node (a singular test reading one
   model) is attached to that node;
3. ``meta: {dagster: {ref: {name: ..., package: ..., version: ...}}}`` in the
   test's config names the node explicitly (the way to attach a singular test
   that reads several models).

A test with no attachment, or attached to something these assets do not
build (a source, an ephemeral model, a seed of a runtime without the
lifecycle capability), is not a check; ``floe test`` still runs it. Unit
tests are not checks (dbt runs them before a model is built; dagster-dbt
leaves them out too). The other nodes a test reads become the check's
additional dependencies, so Dagster shows that ``relationships`` between
``orders`` and ``customers`` reads both.

Severity: the test's ``config.severity`` (``error`` by default). An ``error``
test is a *blocking* check, as in dagster-dbt: when it fails, Dagster fails
the step after reporting it and skips what depends on the step. A ``warn``
test that finds rows is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from floe_dagster.dbt_graph import DbtAssetNode
from floe_dagster.selection import ExactSelector

__all__ = ["DbtCheckNode", "read_dbt_checks"]

_NOT_A_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class DbtCheckNode:
    """One dbt test that is an asset check.

    Attributes:
        unique_id: dbt's id, e.g. ``test.shop.not_null_orders_id.a1b2c3``.
        check_name: The Dagster check name: the test's name, made a valid
            Dagster name and unique on its asset.
        attached_to: ``unique_id`` of the asset it checks.
        parents: ``unique_id`` of every asset it reads (``attached_to`` included).
        severity: ``error`` or ``warn``, from the test's config.
        selector: The selection expression that selects exactly this test.
        description: The test's description, ``None`` when empty.
    """

    unique_id: str
    check_name: str
    attached_to: str
    parents: tuple[str, ...]
    severity: str
    selector: str
    description: str | None = None

    @property
    def blocking(self) -> bool:
        """Whether a failure stops what depends on the asset (``error`` severity)."""
        return self.severity == "error"


def read_dbt_checks(
    manifest: Mapping[str, Any], assets: Iterable[DbtAssetNode], selectors: ExactSelector
) -> list[DbtCheckNode]:
    """List the tests of a manifest that are checks on materialisable assets.

    Args:
        manifest: A parsed dbt ``manifest.json``.
        assets: The asset nodes (:func:`floe_dagster.dbt_graph.read_dbt_graph`).
        selectors: Exact selectors for the manifest's nodes.

    Returns:
        The checks, sorted by ``unique_id``.

    Raises:
        DBTConfigurationError: A test cannot be selected on its own.
    """
    by_id = {asset.unique_id: asset for asset in assets}
    nodes: Mapping[str, Mapping[str, Any]] = manifest.get("nodes") or {}
    project_name = (manifest.get("metadata") or {}).get("project_name")
    names_taken: dict[str, set[str]] = {}
    checks: list[DbtCheckNode] = []
    for unique_id in sorted(nodes):
        test = nodes[unique_id]
        if test.get("resource_type") != "test":
            continue
        attached = _attached_node(test, nodes, project_name)
        asset = by_id.get(attached) if attached else None
        if asset is None or not asset.materialisable:
            continue
        depends_on = (test.get("depends_on") or {}).get("nodes") or []
        parents = {asset.unique_id} | {str(dep) for dep in depends_on if dep in by_id}
        config = test.get("config") or {}
        taken = names_taken.setdefault(asset.unique_id, set())
        checks.append(
            DbtCheckNode(
                unique_id=unique_id,
                check_name=_unique_name(str(test.get("name") or unique_id), taken),
                attached_to=asset.unique_id,
                parents=tuple(sorted(parents)),
                severity="warn" if str(config.get("severity", "")).lower() == "warn" else "error",
                selector=selectors.for_node(unique_id),
                description=test.get("description") or None,
            )
        )
    return checks


def _attached_node(
    test: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]], project_name: Any
) -> str | None:
    attached = test.get("attached_node")
    depends_on = set((test.get("depends_on") or {}).get("nodes") or [])
    if len(depends_on) == 1:
        (attached,) = depends_on
    meta = (test.get("config") or {}).get("meta") or test.get("meta") or {}
    ref = (meta.get("dagster") or {}).get("ref") if isinstance(meta, Mapping) else None
    if isinstance(ref, Mapping) and ref.get("name"):
        wanted = (ref["name"], ref.get("package") or project_name, _version(ref.get("version")))
        attached = next(
            (
                unique_id
                for unique_id, node in nodes.items()
                if (node.get("name"), node.get("package_name"), _version(node.get("version")))
                == wanted
            ),
            None,
        )
    return str(attached) if attached else None


def _version(value: Any) -> str | None:
    # dbt writes a version as a number or a string; meta may say either.
    return None if value is None else str(value)


def _unique_name(name: str, taken: set[str]) -> str:
    base = _NOT_A_NAME.sub("_", name)
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}_{number}"
    taken.add(candidate)
    return candidate
