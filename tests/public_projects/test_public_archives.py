"""The archive cache: a download that cannot happen skips (fails in CI), a wrong digest
fails, and only the listed paths are unpacked."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import public_archives
import pytest
from public_archives import Archive, PublicProject, load_manifest, unpacked


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha256: str) -> PublicProject:
    monkeypatch.setattr(public_archives, "CACHE", tmp_path / "cache")
    archive = Archive("floe-no-such-dist", "0.0.1", sha256, "MIT", "nowhere")
    return PublicProject("p", archive, "inner/project", also=("inner/package",))


def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 9 of the loopback: pip fails at once, as without a network.
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
    monkeypatch.setenv("PIP_FIND_LINKS", "")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")


def test_without_the_network_the_tests_skip_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, monkeypatch, "0" * 64)
    _offline(monkeypatch)
    monkeypatch.delenv("FLOE_REQUIRE_NETWORK", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        unpacked(project)
    assert "pip download floe-no-such-dist==0.0.1 failed" in str(skipped.value)
    assert "FLOE_REQUIRE_NETWORK=1" in str(skipped.value)


def test_in_ci_a_failed_download_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, monkeypatch, "0" * 64)
    _offline(monkeypatch)
    monkeypatch.setenv("FLOE_REQUIRE_NETWORK", "1")
    with pytest.raises(pytest.fail.Exception) as failed:
        unpacked(project)
    assert "the download must work here" in str(failed.value)


def _sdist(path: Path) -> bytes:
    files = {
        "floe-no-such-dist-0.0.1/inner/project/dbt_project.yml": b"name: p\n",
        "floe-no-such-dist-0.0.1/inner/package/dbt_project.yml": b"name: q\n",
        "floe-no-such-dist-0.0.1/inner/other/secret.txt": b"not wanted\n",
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path.read_bytes()


def test_only_the_listed_paths_of_a_checked_archive_are_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _sdist(tmp_path / "made.tar.gz")
    project = _project(tmp_path, monkeypatch, hashlib.sha256(content).hexdigest())
    stored = tmp_path / "cache" / "archives" / "floe-no-such-dist-0.0.1.tar.gz"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(content)

    root = unpacked(project)

    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.yml")) == [
        "inner/package/dbt_project.yml",
        "inner/project/dbt_project.yml",
    ]
    assert not (root / "inner" / "other").exists()
    assert unpacked(project) == root  # the second time from the stamp, offline


def test_an_archive_that_is_not_the_reviewed_one_fails_and_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _sdist(tmp_path / "made.tar.gz")
    project = _project(tmp_path, monkeypatch, "f" * 64)
    stored = tmp_path / "cache" / "archives" / "floe-no-such-dist-0.0.1.tar.gz"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(content)

    with pytest.raises(pytest.fail.Exception) as failed:
        unpacked(project)

    assert f"sha256 {hashlib.sha256(content).hexdigest()}, not the reviewed {'f' * 64}" in str(
        failed.value
    )
    assert not stored.exists()


def test_the_manifest_names_each_archives_licence_and_source() -> None:
    projects = load_manifest()
    assert len({p.id for p in projects}) == len(projects) >= 3
    for project in projects:
        assert len(project.archive.sha256) == 64
        assert project.archive.licence.startswith("Apache-2.0")
        assert project.archive.source.startswith("https://")
    with_packages = [p for p in projects if p.also]
    assert len(with_packages) >= 2
