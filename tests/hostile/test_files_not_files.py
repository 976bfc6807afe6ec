"""Hardening round 2, hangs and raw errors: what floe reads must be a regular, sane file.

Before the fix: a FIFO as ``target/manifest.json`` blocked ``get_manifest()``
forever (opened before its type was checked), a link to ``/dev/zero`` read
until memory ran out, and a directory, non-UTF-8 bytes, 100,000 nested
brackets or a file nobody may read escaped as ``IsADirectoryError``,
``UnicodeDecodeError``, ``RecursionError`` and ``PermissionError``. Every
read now goes through :mod:`floe_core.files`: opened non-blocking, checked
on the descriptor, bounded in size and depth, UTF-8.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from hypothesis import given, settings
from hypothesis import strategies as st
from unprivileged import obeying_permissions

from floe_core.artifacts import read_json_artifact
from floe_core.errors import DBTArtifactNotFoundError, UnreadableFile
from floe_core.files import MAX_JSON_DEPTH, json_depth_exceeds, parse_json, read_bytes
from floe_dbt_local import LocalDBTPlugin

WHAT = "run compile_project, run_models or run_tests on this project first"


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # no writer: an open() without O_NONBLOCK waits forever


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")  # never ends


def _directory(path: Path) -> None:
    path.mkdir()


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


NOT_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "a FIFO": (_fifo, "it is a FIFO (named pipe), not a regular file"),
    "a link to /dev/zero": (_dev_zero, "it is a character device, not a regular file"),
    "a directory": (_directory, "it is a directory, not a regular file"),
    "a socket": (_socket, "No such device or address"),
}


@pytest.fixture
def healthy(tmp_path: Path) -> ProjectCopy:
    return copy_project("healthy", tmp_path)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", sorted(NOT_FILES))
@pytest.mark.parametrize("artifact", ["manifest.json", "run_results.json"])
def test_an_artifact_that_is_not_a_file_is_refused_at_once(
    healthy: ProjectCopy, kind: str, artifact: str
) -> None:
    make, problem = NOT_FILES[kind]
    target = healthy.project_dir / "target"
    target.mkdir()
    make(target / artifact)
    runtime = LocalDBTPlugin()
    read = runtime.get_manifest if artifact == "manifest.json" else runtime.get_run_results
    with pytest.raises(DBTArtifactNotFoundError) as raised:
        read(healthy.project_dir)
    assert str(raised.value).startswith(f"cannot read {target / artifact}: {problem}; ")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"nodes": {"model.p.caf\xe9": {}}}', "it is not UTF-8 text (byte 23 cannot be decoded)"),
        (
            b"[" * 100_000 + b"]" * 100_000,
            f"it is JSON nested more than {MAX_JSON_DEPTH} levels deep",
        ),
        (b'{"nodes": ', "it is not valid JSON (Expecting value: line 1 column 11 (char 10))"),
        ("\ufeff".encode() + b'"text"', None),
    ],
    ids=["latin-1", "100k-deep", "truncated", "not-an-object"],
)
def test_a_manifest_that_is_not_dbt_json_gets_the_reason_not_a_python_error(
    healthy: ProjectCopy, content: bytes, problem: str | None
) -> None:
    path = healthy.project_dir / "target" / "manifest.json"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(DBTArtifactNotFoundError) as raised:
        LocalDBTPlugin().get_manifest(healthy.project_dir)
    if problem is None:
        assert str(raised.value) == f"{path} does not hold a JSON object; {WHAT}"
    else:
        assert str(raised.value) == f"cannot read {path}: {problem}; {WHAT}"
    assert raised.value.__cause__ is None  # the reason is in the message, nothing raw behind it


def test_a_manifest_nobody_may_read_names_the_system_reason(healthy: ProjectCopy) -> None:
    """Mode 000. The suite runs as root, which reads anything: the read runs without that power."""
    path = healthy.project_dir / "target" / "manifest.json"
    path.parent.mkdir()
    path.write_text("{}")
    path.chmod(0)
    runtime = LocalDBTPlugin()
    with pytest.raises(DBTArtifactNotFoundError) as raised:
        obeying_permissions(lambda: runtime.get_manifest(healthy.project_dir))
    assert str(raised.value) == f"cannot read {path}: Permission denied; {WHAT}"


def test_a_write_only_file_is_unreadable_even_for_root(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    path.symlink_to("/proc/sys/vm/drop_caches")  # write-only for everyone, root included
    with pytest.raises(DBTArtifactNotFoundError) as raised:
        read_json_artifact(path, what="run dbt")
    assert str(raised.value) == f"cannot read {path}: Permission denied; run dbt"


def test_a_file_past_its_bound_is_refused_having_read_one_byte_more(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1025)
    with pytest.raises(UnreadableFile) as raised:
        read_bytes(path, limit=1024, what="thing")
    assert str(raised.value) == (
        f"{path} is larger than 1 KiB, the most a thing may be: is this the right file?"
    )
    assert read_bytes(path, limit=1025, what="thing") == b" " * 1025


# -- the depth bound, property-based ------------------------------------------------

# Strings that look like structure: brackets, quotes and backslashes inside text.
_TRICKY = st.text(alphabet='[]{}"\\ ,:ab', max_size=6)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


@settings(max_examples=300, derandomize=True, deadline=None)
@given(value=_JSON, indent=st.sampled_from([None, 0, 2]), ascii=st.booleans())
def test_the_depth_bound_is_the_depth_of_the_document(
    value: object, indent: int | None, ascii: bool
) -> None:
    data = json.dumps(value, indent=indent, ensure_ascii=ascii).encode()
    depth = _depth(value)
    for bound in range(max(depth + 2, 3)):
        assert json_depth_exceeds(data, bound) == (depth > bound), bound
    if depth <= MAX_JSON_DEPTH:
        assert parse_json(data) == value


@settings(max_examples=50, derandomize=True, deadline=None)
@given(extra=st.integers(min_value=1, max_value=5000), opener=st.sampled_from(["[", '{"k":']))
def test_anything_deeper_than_the_bound_is_refused_before_parsing(extra: int, opener: str) -> None:
    levels = MAX_JSON_DEPTH + extra
    closer = "]" if opener == "[" else "}"
    data = (opener * levels + "1" + closer * levels).encode()
    with pytest.raises(UnreadableFile, match=f"nested more than {MAX_JSON_DEPTH} levels deep"):
        parse_json(data, source="x.json")
    at_bound = (opener * MAX_JSON_DEPTH + "1" + closer * MAX_JSON_DEPTH).encode()
    assert not json_depth_exceeds(at_bound)


def test_brackets_that_do_not_pair_are_left_to_the_json_reader() -> None:
    data = b"[}" * 600
    assert not json_depth_exceeds(data)
    with pytest.raises(UnreadableFile, match="is not valid JSON"):
        parse_json(data, source="x.json")


def test_without_the_pre_scan_python_s_own_limit_is_still_a_refusal() -> None:
    data = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(UnreadableFile) as raised:
        parse_json(data, max_depth=None, source="cached.json")
    assert str(raised.value) == (
        "cached.json is JSON nested too deeply for Python to read: is this the right file?"
    )
