"""Projects with packages, written by the tests: a local package beside the project and a
hub package as ``dbt deps`` would have installed it (for the emulator's deps step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HUB_PACKAGE = "floe-tests/floe_utils"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _yaml(path: Path, document: dict[str, Any]) -> None:
    _write(path, yaml.safe_dump(document, sort_keys=False))


def package(root: Path, name: str, *, version: str | None = None, model: str | None = None) -> Path:
    """A dbt package: a macro ``<name>_times(x)`` and, when given, one table model."""
    settings: dict[str, Any] = {"name": name, "config-version": 2}
    if version is not None:
        settings["version"] = version
    _yaml(root / "dbt_project.yml", settings)
    factor = {"helpers": 2, "floe_utils": 3}.get(name, 5)
    _write(
        root / "macros" / f"{name}.sql",
        f"{{% macro times(x) %}}({{{{ x }}}} * {factor}){{% endmacro %}}\n",
    )
    if model is not None:
        _write(
            root / "models" / f"{model}.sql",
            "{{ config(materialized='table') }}\nselect range as n from range(1, 4)\n",
        )
    return root


def packaged_project(
    root: Path,
    *,
    packages: list[dict[str, Any]] | None = None,
    installed_version: str = "1.2.0",
    packages_file: str = "packages.yml",
    install_path: str | None = None,
) -> Path:
    """``root/analytics``: a project using ``../shared/helpers`` and the installed hub package.

    ``orders`` selects from both packages' models and calls both packages'
    macros, so it runs only when both are installed.
    """
    package(root / "shared" / "helpers", "helpers", model="helper_numbers")
    project = root / "analytics"
    settings: dict[str, Any] = {
        "name": "analytics",
        "version": "1.0.0",
        "config-version": 2,
        "profile": "analytics",
        "models": {"analytics": {"+materialized": "table"}},
    }
    if install_path is not None:
        settings["packages-install-path"] = install_path
    _yaml(project / "dbt_project.yml", settings)
    declared = packages or [
        {"local": "../shared/helpers"},
        {"package": HUB_PACKAGE, "version": [">=1.0.0", "<2.0.0"]},
    ]
    _yaml(project / packages_file, {"packages": declared})
    installed = project / (install_path or "dbt_packages")
    package(
        installed / "floe_utils", "floe_utils", version=installed_version, model="utils_calendar"
    )
    _write(
        project / "models" / "orders.sql",
        "select h.n, {{ helpers.times('h.n') }} as doubled,\n"
        "  {{ floe_utils.times('u.n') }} as tripled\n"
        "from {{ ref('helpers', 'helper_numbers') }} h\n"
        "join {{ ref('floe_utils', 'utils_calendar') }} u on u.n = h.n\n",
    )
    _yaml(
        project / "models" / "schema.yml",
        {
            "version": 2,
            "models": [{"name": "orders", "columns": [{"name": "n", "tests": ["unique"]}]}],
        },
    )
    _yaml(
        project / "profiles.yml",
        {
            "analytics": {
                "target": "dev",
                "outputs": {
                    "dev": {
                        "type": "duckdb",
                        "path": str(project / "analytics.duckdb"),
                        "threads": 1,
                    }
                },
            }
        },
    )
    return project
