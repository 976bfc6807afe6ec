"""The ``dbt deps`` step of an emulated run: the project's packages, installed for each run.

dbt Cloud clones the repository, then runs ``dbt deps`` before the job's
commands, so every run installs the packages the project declares
(``packages.yml`` or ``dependencies.yml``) into its ``packages-install-path``
afresh; a package that cannot be had fails that step, and with it the run.
The emulator does the same in the run's copy of the project, offline first:

* a ``local:`` package comes from its path, read from the caller's project
  directory (where a repository checkout would have it, ``../`` included);
* a hub, git, tarball or private package comes from the copy ``dbt deps``
  already installed in the caller's project (its ``packages-install-path``),
  when that copy is the package asked for: the same name (``package-lock.yml``
  names it, else the last part of its address) and, for a hub package, a
  ``version`` inside the requested range (and equal to the lock's pin, if any);
* what is still missing is installed by real ``dbt deps`` from the package
  index, when the emulator may use it (``package_index``).

A package's own packages are installed the same way (dbt installs them side
by side). Packages are copied, never linked, so nothing a run does reaches the
caller's files. dbt is imported only when a run declares packages.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from floe_dbt_cloud_emulator.package_index import install_from_index
from floe_dbt_cloud_emulator.steps import StepOutcome

__all__ = ["DEPS_STEP", "PackageSource", "declares_packages", "install_packages"]

DEPS_STEP = "dbt deps"
_LOCK_FILE = "package-lock.yml"
_NOT_COPIED = shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb", ".user.yml")


@dataclass(frozen=True)
class PackageSource:
    """Where a run's packages come from.

    Attributes:
        project_dir: The caller's project: ``local:`` paths are read from it,
            and its installed packages stand in for the package index.
        package_index: Whether ``dbt deps`` may fetch what is not installed
            from the dbt package hub or git (needs the network).
    """

    project_dir: Path
    package_index: bool = True


@dataclass(frozen=True)
class _Wanted:
    """One package the project (or a package of it) declares."""

    kind: str  # local, package (hub), git, tarball, private
    address: str  # the path, hub name, URL ... as written (unrendered: no secret)
    spec: dict[str, Any]  # as rendered, for dbt deps
    declared_name: str | None
    versions: tuple[str, ...]

    @property
    def label(self) -> str:
        if self.kind == "local":
            return f"local: {self.address}"
        if self.kind == "package":
            return f"{self.address} (version {', '.join(self.versions)})"
        return f"{self.kind}: {self.address}"


@dataclass(frozen=True)
class _Found:
    name: str
    origin: Path
    note: str


class _PackagesError(Exception):
    """The project's package files cannot be read (dbt would refuse them too)."""


def declares_packages(project_dir: Path) -> bool:
    """Whether a project lists packages (or has a package file that cannot be read).

    The emulator gives a run a deps step only then: a project without
    packages has nothing to install, and its steps keep their indices.
    """
    for name in ("packages.yml", "dependencies.yml"):
        try:
            if _read_yaml(project_dir / name).get("packages"):
                return True
        except _PackagesError:
            return True  # the deps step reports it, as dbt deps would
    return False


def install_packages(repository: Path, source: PackageSource) -> StepOutcome:
    """Install the packages a run's copy of the project declares, as ``dbt deps`` would.

    Args:
        repository: The run's copy of the project.
        source: Where packages come from.

    Returns:
        How the step ended, its log naming each package installed or each
        one that could not be had.
    """
    try:
        wanted = _declared(repository)
        if not wanted:
            return StepOutcome(True, "Warning: No packages were found in packages.yml")
        install_dir = _install_dir(repository)
        found, missing = _resolve(wanted, source)
    except _PackagesError as exc:
        return StepOutcome(False, f"Runtime Error\n  {exc}")
    if install_dir.exists():  # dbt deps starts from an empty directory
        shutil.rmtree(install_dir)
    install_dir.mkdir(parents=True)
    lines = []
    for package in found:
        shutil.copytree(package.origin, install_dir / package.name, ignore=_NOT_COPIED)
        lines += [f"Installing {package.name}", f"  Installed from {package.note}"]
    if missing:
        failure = _from_index(missing, install_dir, source)
        if failure:
            return StepOutcome(False, "\n".join([*lines, failure]))
        lines += [
            f"Installing {m.label}\n  Installed with dbt deps from the index" for m, _ in missing
        ]
    return StepOutcome(True, "\n".join(lines))


def _from_index(
    missing: list[tuple[_Wanted, str]], install_dir: Path, source: PackageSource
) -> str | None:
    """Install what is not available offline from the index; the failure text, or None."""
    named = "\n".join(f"    {wanted.label}: {why}" for wanted, why in missing)
    count = f"{len(missing)} package{'s' if len(missing) != 1 else ''}"
    # A local package is read from its path or not at all: the index cannot have it.
    if not source.package_index or any(wanted.kind == "local" for wanted, _ in missing):
        return (
            f"Runtime Error\n  Could not install {count}"
            f"{'' if source.package_index else ' (this emulator does not use the package index)'}"
            f":\n{named}"
        )
    error = install_from_index([wanted.spec for wanted, _ in missing], install_dir)
    if error is None:
        return None
    return (
        f"Runtime Error\n  Could not install {count}; dbt deps failed: {error}\n"
        f"  Not installed in the project either:\n{named}"
    )


# -- reading what is declared ------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _PackagesError(f"cannot read {path.name}: {exc}") from None
    return document if isinstance(document, dict) else {}


def _declared(project_dir: Path) -> list[_Wanted]:
    """The packages a project declares, read and rendered by dbt's own code."""
    if not any((project_dir / name).is_file() for name in ("packages.yml", "dependencies.yml")):
        return []
    from dbt.config.project import package_and_project_data_from_root, package_config_from_data
    from dbt.config.renderer import PackageRenderer
    from dbt.contracts.project import RegistryPackage
    from dbt_common.exceptions import DbtBaseException

    try:
        raw, _ = package_and_project_data_from_root(str(project_dir))  # type: ignore[no-untyped-call]
        if not raw.get("packages"):
            return []
        rendered = PackageRenderer({}).render_data(raw)
        config = package_config_from_data(rendered, raw)
    except DbtBaseException as exc:
        raise _PackagesError(str(exc).strip()) from None
    wanted = []
    for spec, unrendered in zip(config.packages, raw["packages"], strict=True):
        kind = next(
            k for k in ("local", "package", "git", "tarball", "private") if hasattr(spec, k)
        )
        versions: tuple[str, ...] = ()
        if isinstance(spec, RegistryPackage):
            # dbt reads "a,b" as two specifiers, as it reads [a, b].
            versions = tuple(
                part.strip() for text in spec.get_versions() for part in text.split(",")
            )
        data = {k: v for k, v in spec.to_dict().items() if k != "unrendered"}
        wanted.append(
            _Wanted(kind, str(unrendered[kind]), data, getattr(spec, "name", None), versions)
        )
    return wanted


def _install_dir(project_dir: Path) -> Path:
    settings = _read_yaml(project_dir / "dbt_project.yml")
    configured = str(settings.get("packages-install-path") or "dbt_packages")
    install_dir = (project_dir / configured).resolve()
    if (
        not install_dir.is_relative_to(project_dir.resolve())
        or install_dir == project_dir.resolve()
    ):
        raise _PackagesError(
            f"packages-install-path {configured!r} is not a directory inside the project; "
            "the emulator installs packages only into the run's own copy"
        )
    return install_dir


def _locked_names(project_dir: Path) -> dict[tuple[str, str], str]:
    """``{(kind, address): name}`` from ``package-lock.yml``, which names every package."""
    names = {}
    entries = _read_yaml(project_dir / _LOCK_FILE).get("packages") or []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        for kind in ("local", "package", "git", "tarball", "private"):
            if kind in entry:
                names[(kind, str(entry[kind]))] = entry["name"]
    return names


def _locked_version(project_dir: Path, address: str) -> str | None:
    entries = _read_yaml(project_dir / _LOCK_FILE).get("packages") or []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("package") == address and "version" in entry:
            return str(entry["version"])
    return None


# -- finding each package offline ---------------------------------------------


def _resolve(
    wanted: list[_Wanted], source: PackageSource
) -> tuple[list[_Found], list[tuple[_Wanted, str]]]:
    """Every package (and the packages of each), found offline or missing with the reason."""
    root = source.project_dir
    installed = _install_dir(root)
    locked = _locked_names(root)
    found: dict[str, _Found] = {}
    missing: list[tuple[_Wanted, str]] = []
    queue = list(wanted)
    while queue:
        package = queue.pop(0)
        try:
            hit = _find(package, root, installed, locked)
        except LookupError as exc:
            missing.append((package, str(exc)))
            continue
        if hit.name in found:
            continue
        found[hit.name] = hit
        # dbt resolves a package's own packages with the root project's paths.
        queue.extend(_declared(hit.origin))
    return list(found.values()), missing


def _find(
    package: _Wanted, root: Path, installed: Path, locked: dict[tuple[str, str], str]
) -> _Found:
    if package.kind == "local":
        path = (root / package.address).resolve()
        name = _project_name(path)
        if name is None:
            raise LookupError("no dbt project there (no readable dbt_project.yml)")
        return _Found(name, path, f"<local @ {package.address}>")
    name = (
        package.declared_name
        or locked.get((package.kind, package.address))
        or _default_name(package.address)
    )
    where = installed / name
    relative = installed.relative_to(root)
    if _project_name(where) != name:
        raise LookupError(f"not installed in {relative}/ of the project (no {relative}/{name})")
    if package.kind != "package":
        # Offline, a revision cannot be checked: the installed copy of that name is it.
        return _Found(name, where, f"the project's installed copy in {relative}/{name}")
    version = str(_read_yaml(where / "dbt_project.yml").get("version") or "")
    # The lock's pin, when there is one, and always the range asked for: a pin left
    # behind by an edited packages.yml must not let an out-of-range copy through.
    pinned = _locked_version(root, package.address)
    wanted = (*package.versions, pinned) if pinned else package.versions
    if not version or not _compatible(version, wanted):
        asked = ", ".join(package.versions) + (f" locked at {pinned}" if pinned else "")
        raise LookupError(
            f"{relative}/{name} is version {version or '(none declared)'}, not {asked}"
        )
    return _Found(name, where, f"version {version} (installed in {relative}/{name})")


def _project_name(path: Path) -> str | None:
    try:
        name = _read_yaml(path / "dbt_project.yml").get("name")
    except _PackagesError:
        return None
    return name if isinstance(name, str) else None


def _default_name(address: str) -> str:
    """``dbt-labs/dbt_utils`` -> ``dbt_utils``; ``https://h/x/pkg.git`` -> ``pkg``."""
    last = address.rstrip("/").rsplit("/", 1)[-1]
    return last.removesuffix(".git").removesuffix(".tar.gz")


def _compatible(version: str, wanted: Iterable[str]) -> bool:
    from dbt_common.exceptions import DbtBaseException
    from dbt_common.semver import versions_compatible

    try:
        return bool(versions_compatible(version, *wanted))
    except DbtBaseException:
        return False
