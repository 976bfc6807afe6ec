"""The emulator's deps step on its own: what it installs into a run's copy, and what it refuses.

No dbt run here (dbt's own code only reads the package files): the
loopback tests in test_cloud_packages.py run the installed projects.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from packaged_projects import HUB_PACKAGE, package, packaged_project

from floe_dbt_cloud_emulator.packages import PackageSource, declares_packages, install_packages


def _clone(project: Path, tmp_path: Path) -> Path:
    """The run's copy, as the emulator makes it (installed packages left behind)."""
    clone = tmp_path / "clone"
    shutil.copytree(project, clone, ignore=shutil.ignore_patterns("dbt_packages"))
    return clone


def _installed(directory: Path) -> dict[str, str]:
    return {
        child.name: str(yaml.safe_load((child / "dbt_project.yml").read_text())["name"])
        for child in sorted(directory.iterdir())
    }


def test_local_and_installed_hub_packages_are_copied_into_the_run(tmp_path: Path) -> None:
    project = packaged_project(tmp_path / "repo")
    clone = _clone(project, tmp_path)
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert outcome.success, outcome.logs
    assert _installed(clone / "dbt_packages") == {"floe_utils": "floe_utils", "helpers": "helpers"}
    assert "Installed from <local @ ../shared/helpers>" in outcome.logs
    assert "Installed from version 1.2.0 (installed in dbt_packages/floe_utils)" in outcome.logs
    # Copies, never links: a run cannot reach the caller's files.
    assert not (clone / "dbt_packages" / "helpers").is_symlink()
    assert (clone / "dbt_packages" / "helpers" / "models" / "helper_numbers.sql").is_file()
    assert sorted(p.name for p in (project / "dbt_packages").iterdir()) == ["floe_utils"]


def test_a_stale_install_in_the_copy_is_replaced(tmp_path: Path) -> None:
    project = packaged_project(tmp_path / "repo")
    clone = _clone(project, tmp_path)
    package(clone / "dbt_packages" / "leftover", "leftover")
    assert install_packages(clone, PackageSource(project, package_index=False)).success
    assert sorted(_installed(clone / "dbt_packages")) == ["floe_utils", "helpers"]


def test_dependencies_yml_and_a_custom_install_path_are_honoured(tmp_path: Path) -> None:
    project = packaged_project(
        tmp_path / "repo", packages_file="dependencies.yml", install_path="vendor"
    )
    clone = _clone(project, tmp_path)
    shutil.rmtree(clone / "vendor")  # copied (only dbt_packages is left out): deps replaces it
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert outcome.success, outcome.logs
    assert sorted(_installed(clone / "vendor")) == ["floe_utils", "helpers"]
    assert not (clone / "dbt_packages").exists()


def test_an_installed_packages_own_packages_are_installed_too(tmp_path: Path) -> None:
    project = packaged_project(tmp_path / "repo")
    utils = project / "dbt_packages" / "floe_utils"
    (utils / "packages.yml").write_text(
        yaml.safe_dump({"packages": [{"package": "floe-tests/floe_dates", "version": "0.3.1"}]})
    )
    package(project / "dbt_packages" / "floe_dates", "floe_dates", version="0.3.1")
    clone = _clone(project, tmp_path)
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert outcome.success, outcome.logs
    assert sorted(_installed(clone / "dbt_packages")) == ["floe_dates", "floe_utils", "helpers"]


def test_the_lock_file_names_a_package_and_pins_its_version(tmp_path: Path) -> None:
    project = packaged_project(
        tmp_path / "repo",
        packages=[{"package": "floe-tests/utils-renamed", "version": ">=1.0.0,<2.0.0"}],
    )
    lock = {
        "packages": [
            {"name": "floe_utils", "package": "floe-tests/utils-renamed", "version": "1.2.0"}
        ]
    }
    (project / "package-lock.yml").write_text(yaml.safe_dump(lock))
    clone = _clone(project, tmp_path)
    assert install_packages(clone, PackageSource(project, package_index=False)).success
    assert sorted(_installed(clone / "dbt_packages")) == ["floe_utils"]

    lock["packages"][0]["version"] = "1.3.0"  # in range, but not the copy installed
    (project / "package-lock.yml").write_text(yaml.safe_dump(lock))
    refused = install_packages(clone, PackageSource(project, package_index=False))
    assert not refused.success
    assert (
        "dbt_packages/floe_utils is version 1.2.0, not >=1.0.0, <2.0.0 locked at 1.3.0"
        in refused.logs
    )


def test_a_stale_pin_does_not_let_a_copy_outside_the_range_through(tmp_path: Path) -> None:
    # packages.yml now asks for 2.x; the lock still pins the 1.2.0 that is installed.
    project = packaged_project(
        tmp_path / "repo", packages=[{"package": HUB_PACKAGE, "version": ">=2.0.0"}]
    )
    lock = {"packages": [{"name": "floe_utils", "package": HUB_PACKAGE, "version": "1.2.0"}]}
    (project / "package-lock.yml").write_text(yaml.safe_dump(lock))
    clone = _clone(project, tmp_path)
    refused = install_packages(clone, PackageSource(project, package_index=False))
    assert not refused.success
    assert "dbt_packages/floe_utils is version 1.2.0, not >=2.0.0 locked at 1.2.0" in refused.logs


def test_a_git_package_is_found_by_its_repository_name(tmp_path: Path) -> None:
    url = "https://example.invalid/acme/floe_utils.git"
    project = packaged_project(tmp_path / "repo", packages=[{"git": url, "revision": "v1"}])
    clone = _clone(project, tmp_path)
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert outcome.success, outcome.logs
    assert "the project's installed copy in dbt_packages/floe_utils" in outcome.logs


@pytest.mark.parametrize(
    ("packages", "installed_version", "named", "why"),
    [
        (
            [{"local": "../nowhere"}],
            "1.2.0",
            "local: ../nowhere",
            "no dbt project there (no readable dbt_project.yml)",
        ),
        (
            [{"package": "floe-tests/absent", "version": "1.0.0"}],
            "1.2.0",
            "floe-tests/absent (version 1.0.0)",
            "not installed in dbt_packages/ of the project (no dbt_packages/absent)",
        ),
        (
            [{"package": HUB_PACKAGE, "version": [">=2.0.0"]}],
            "1.2.0",
            f"{HUB_PACKAGE} (version >=2.0.0)",
            "dbt_packages/floe_utils is version 1.2.0, not >=2.0.0",
        ),
        (
            [{"package": HUB_PACKAGE, "version": "1.2.0"}],
            "",
            f"{HUB_PACKAGE} (version 1.2.0)",
            "dbt_packages/floe_utils is version (none declared), not 1.2.0",
        ),
    ],
    ids=["missing-local", "hub-not-installed", "hub-wrong-version", "hub-without-version"],
)
def test_a_package_that_cannot_be_had_fails_the_step_naming_it(
    tmp_path: Path,
    packages: list[dict[str, object]],
    installed_version: str,
    named: str,
    why: str,
) -> None:
    project = packaged_project(
        tmp_path / "repo", packages=packages, installed_version=installed_version or "0"
    )
    if not installed_version:
        settings = project / "dbt_packages" / "floe_utils" / "dbt_project.yml"
        settings.write_text(yaml.safe_dump({"name": "floe_utils", "config-version": 2}))
    clone = _clone(project, tmp_path)
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert not outcome.success
    assert outcome.logs.startswith("Runtime Error\n  Could not install 1 package (")
    assert f"    {named}: {why}" in outcome.logs.splitlines()


def test_package_files_dbt_refuses_fail_the_step(tmp_path: Path) -> None:
    project = packaged_project(tmp_path / "repo")
    (project / "dependencies.yml").write_text(
        yaml.safe_dump({"packages": [{"local": "../shared/helpers"}]})
    )
    clone = _clone(project, tmp_path)
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert not outcome.success
    assert "cannot be specified in both packages.yml and dependencies.yml" in outcome.logs


def test_an_install_path_outside_the_project_is_refused(tmp_path: Path) -> None:
    project = packaged_project(tmp_path / "repo", install_path="../outside")
    clone = _clone(project, tmp_path)
    outcome = install_packages(clone, PackageSource(project, package_index=False))
    assert not outcome.success
    assert (
        "packages-install-path '../outside' is not a directory inside the project" in outcome.logs
    )
    assert not (tmp_path / "outside").exists()


def test_only_a_project_that_lists_packages_gets_a_deps_step(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    assert not declares_packages(project)
    (project / "packages.yml").write_text("packages: []\n")
    assert not declares_packages(project)
    (project / "packages.yml").write_text("packages: [{local: x}]\n")
    assert declares_packages(project)
    (project / "packages.yml").write_text("packages: [unclosed\n")
    assert declares_packages(project)  # the step says what is wrong with it


def test_dbt_deps_from_the_index_installs_beside_what_is_there(tmp_path: Path) -> None:
    # dbt deps needs no network for a local path: the index path, end to end, offline.
    from floe_dbt_cloud_emulator.package_index import install_from_index

    helpers = package(tmp_path / "helpers", "helpers", model="helper_numbers")
    install_dir = tmp_path / "run" / "dbt_packages"
    package(install_dir / "floe_utils", "floe_utils", version="1.2.0")

    assert install_from_index([{"local": str(helpers)}], install_dir) is None

    assert _installed(install_dir) == {"floe_utils": "floe_utils", "helpers": "helpers"}
    assert not (install_dir / "helpers").is_symlink()  # a copy, not dbt's link to the source
    assert (install_dir / "helpers" / "models" / "helper_numbers.sql").is_file()
