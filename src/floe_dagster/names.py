"""dbt names made Dagster names: valid, unique and stable, whatever dbt accepted.

dbt accepts almost any text as a model, seed, schema, alias or database name
(``a-b`` and ``a_b`` in one project, ``a+b``, ``café``, dots, spaces, a
leading digit, 200 characters). Dagster does not: op, check and group names
must match ``^[A-Za-z0-9_]+$``, and a multi-asset names each output and input
after its asset key (``AssetKey.to_python_identifier``, parts joined by
``__``), so two keys that read the same once ``-`` and ``.`` become ``_``
collide inside Dagster. dagster-dbt keys assets by the raw node name and so
crashes on the same projects; the rules here are floe's own:

* **A name that is already a Dagster name is kept as it is** (``orders``,
  ``stg_stripe__payments``, ``1st``). An asset key part may also hold ``-``
  and ``.``, which Dagster reads as ``_`` where it needs a name: a BigQuery
  project ``my-project`` stays ``my-project`` in the key.
* **Any other text gets a readable stem and a stable hash**: the text is
  decomposed (NFKD, so ``café`` reads ``cafe``), every run of characters
  outside ``[A-Za-z0-9_]`` becomes one ``_``, the stem is cut at 48
  characters, and ``_`` plus the first 8 hex digits of the text's SHA-256
  are added: ``a+b`` is ``a_b_`` + 8 hex digits, never ``a_b``. The hash
  depends on nothing but the text, so the name never changes while the dbt
  name does not.
* **Collisions left over are broken the same way.** Asset keys whose
  identifiers meet (``a-b`` next to ``a_b``; ``["a__b", "c"]`` and ``["a",
  "b__c"]``) get the hash of their whole relation on their last part: the
  keys holding ``-`` or ``.`` when one key of the group is made of names
  alone (``a_b`` stays ``a_b``), else all of them. Checks whose names meet on
  one asset, or whose output name meets an asset's inside one step, each get
  the hash of their dbt ``unique_id``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from dagster import AssetKey

# Dagster's own predicates: what it accepts as an op/output name and as an owner.
from dagster._core.definitions.utils import is_valid_name, is_valid_owner

from floe_core.errors import DBTConfigurationError

__all__ = [
    "HASH_LENGTH",
    "asset_keys",
    "dagster_name",
    "dagster_owner",
    "stable_hash",
    "unique_check_names",
]

HASH_LENGTH = 8
_STEM_LENGTH = 48
_VALID = re.compile(r"[A-Za-z0-9_]+")
_KEY_PART = re.compile(r"[A-Za-z0-9_.-]+")
_NOT_VALID = re.compile(r"[^A-Za-z0-9_]+")


def stable_hash(text: str, length: int = HASH_LENGTH) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``text`` (lone surrogates included)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def dagster_name(text: str) -> str:
    """``text`` as a Dagster name part: itself when valid, else a stem and its hash.

    Args:
        text: Any dbt name (model, schema, alias, database, test, group ...).

    Returns:
        Text matching ``^[A-Za-z0-9_]+$``.

    Examples:
        >>> dagster_name("orders")
        'orders'
        >>> dagster_name("a-b") == "a_b_" + stable_hash("a-b")
        True
    """
    if _VALID.fullmatch(text):
        return text
    return _hashed(text, stable_hash(text))


def _hashed(text: str, digest: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stem = _NOT_VALID.sub("_", decomposed).strip("_")[:_STEM_LENGTH].rstrip("_")
    return f"{stem}_{digest}" if stem else f"_{digest}"


def dagster_owner(owner: str) -> str | None:
    """A dbt owner (free text) as a Dagster owner: an e-mail address or ``team:<name>``.

    Returns:
        ``None`` for blank text.
    """
    owner = owner.strip()
    if not owner:
        return None
    if is_valid_owner(owner):
        return owner
    return f"team:{owner}"


def asset_keys(relations: Mapping[str, Sequence[str]]) -> dict[str, AssetKey]:
    """The asset key of each asset, from the relation parts it builds or reads.

    Args:
        relations: Asset ``unique_id`` -> its relation's parts (database,
            schema, table; empty parts already left out).

    Returns:
        ``unique_id`` -> key: each a valid Dagster key, and no two sharing a
        Dagster identifier (``AssetKey.to_python_identifier``).

    Raises:
        DBTConfigurationError: Two assets still share a key or an identifier
            after hashing (one relation twice, or a hash collision); both
            nodes are named, in sorted order.
    """
    keys = {uid: AssetKey([_key_part(part) for part in parts]) for uid, parts in relations.items()}
    by_identifier: dict[str, list[str]] = defaultdict(list)
    for uid in sorted(keys):
        by_identifier[keys[uid].to_python_identifier()].append(uid)
    for identifier, uids in by_identifier.items():
        if len(uids) == 1:
            hashed = [] if is_valid_name(identifier) else uids  # a Python keyword, say
        elif len({tuple(relations[uid]) for uid in uids}) == 1:
            hashed = []  # one relation twice: refused below
        else:
            names_only = [uid for uid in uids if all(_VALID.fullmatch(p) for p in keys[uid].path)]
            hashed = (
                [uid for uid in uids if uid not in names_only] if len(names_only) == 1 else uids
            )
        for uid in hashed:
            path = keys[uid].path
            digest = stable_hash("\0".join(relations[uid]))
            keys[uid] = AssetKey([*path[:-1], _hashed(path[-1], digest)])
    _refuse_collisions(keys, relations)
    return keys


def _key_part(text: str) -> str:
    # Dagster reads '-' and '.' of a key as '_' wherever it needs a name.
    return text if _KEY_PART.fullmatch(text) else dagster_name(text)


def _refuse_collisions(
    keys: Mapping[str, AssetKey], relations: Mapping[str, Sequence[str]]
) -> None:
    owner: dict[str, str] = {}
    for uid in sorted(keys):
        identifier = keys[uid].to_python_identifier()
        other = owner.setdefault(identifier, uid)
        if other != uid or not is_valid_name(identifier):
            same = tuple(relations[other]) == tuple(relations[uid])
            raise DBTConfigurationError(
                f"dbt nodes {other} and {uid} both map to asset key "
                f"{list(keys[uid].path)}"
                + (" (the relation they build or read)" if same else " (even with its hash)")
                + "; give one of them another alias or identifier"
            )


def unique_check_names(
    tests: Iterable[tuple[str, str, AssetKey]],
    *,
    step_of: Mapping[str, str],
    taken: Iterable[str],
) -> dict[str, str]:
    """Choose each check's name: a Dagster name, unique on its asset and inside its step.

    Args:
        tests: ``(unique_id, dbt name, asset key)`` of each test.
        step_of: Test ``unique_id`` -> the step (op) its check belongs to.
        taken: Every asset key identifier of the definitions (a check's output
            is named ``<key identifier>_<check name>`` and must not meet one).

    Returns:
        Test ``unique_id`` -> check name.
    """
    reserved = set(taken)
    entries = sorted(tests)
    names = {uid: dagster_name(name) for uid, name, _ in entries}
    key_of = {uid: key for uid, _, key in entries}
    # A name two tests share on one asset is ambiguous for both: hash both.
    on_asset: dict[tuple[AssetKey, str], list[str]] = defaultdict(list)
    for uid, _, key in entries:
        on_asset[(key, names[uid])].append(uid)
    for uids in on_asset.values():
        if len(uids) > 1:
            for uid in uids:
                names[uid] = _hashed(names[uid], stable_hash(uid))
    # Then the outputs of one step: checks' and assets' identifiers must all differ.
    outputs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for uid, _, _ in entries:
        outputs[(step_of.get(uid, ""), _output(key_of[uid], names[uid]))].append(uid)
    for (_, output), uids in sorted(outputs.items()):
        if len(uids) > 1 or output in reserved:
            for uid in uids:
                names[uid] = _hashed(names[uid], stable_hash(uid))
    final: dict[tuple[str, str], str] = {}
    for uid, _, _ in entries:
        output = _output(key_of[uid], names[uid])
        other = final.setdefault((step_of.get(uid, ""), output), uid)
        if other != uid or output in reserved:
            raise DBTConfigurationError(
                f"dbt tests {other} and {uid} map to the same Dagster check output {output!r} "
                "even with their hashes; rename one of them"
            )
    return names


def _output(key: AssetKey, check_name: str) -> str:
    # What Dagster names a check's output (AssetCheckSpec.get_python_identifier).
    return f"{key.to_python_identifier()}_{check_name}".replace(".", "_")
