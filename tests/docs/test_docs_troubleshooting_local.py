"""The troubleshooting page's local-runtime messages, provoked through the public API.

Same rules as ``test_docs_troubleshooting.py``: each error is raised by the
code and compared with the page's tagged block. A path that must exist is a
temporary copy of a fixture project, whose directory stands for the page's
``/srv/dbt/analytics``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from floe_dbt_compliance.projects import ProjectCopy, copy_project
from test_docs_troubleshooting import documented

from floe_core.errors import DBTConfigurationError, DBTExecutionError
from floe_core.selectors import vars_argument
from floe_dbt_local import LocalDBTPlugin

SHOWN_PROJECT = "/srv/dbt/analytics"
WRITE_ONLY = Path("/proc/sys/vm/drop_caches")


@pytest.fixture
def analytics(tmp_path: Path) -> ProjectCopy:
    return copy_project("healthy", tmp_path)


def _as_shown(error: BaseException, copy: ProjectCopy) -> str:
    return str(error).replace(str(copy.project_dir), SHOWN_PROJECT)


def test_project_dir_is_a_file_message(analytics: ProjectCopy) -> None:
    with pytest.raises(DBTExecutionError) as caught:
        LocalDBTPlugin().run_models(
            analytics.project_dir / "dbt_project.yml", analytics.profiles_dir, "dev"
        )
    assert _as_shown(caught.value, analytics) == documented("local-project-dir-is-a-file")


def test_project_file_not_utf_8_message(analytics: ProjectCopy) -> None:
    project_file = analytics.project_dir / "dbt_project.yml"
    project_file.write_bytes(project_file.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(DBTExecutionError) as caught:
        LocalDBTPlugin().run_models(analytics.project_dir, analytics.profiles_dir, "dev")
    assert _as_shown(caught.value, analytics) == documented("local-project-file-not-utf-8")


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_unreadable_file_message(analytics: ProjectCopy) -> None:
    model = analytics.project_dir / "models" / "marts" / "customers.sql"
    if os.geteuid() != 0:
        model.chmod(0)
    elif WRITE_ONLY.exists():
        model.unlink()
        model.symlink_to(WRITE_ONLY)  # root reads mode-000 files, not a write-only procfs file
    else:
        pytest.skip(f"running as root and {WRITE_ONLY} is absent: no file is unreadable here")
    with pytest.raises(DBTExecutionError) as caught:
        LocalDBTPlugin().run_models(analytics.project_dir, analytics.profiles_dir, "dev")
    assert _as_shown(caught.value, analytics) == documented("local-unreadable-file")


def test_vars_not_unicode_message() -> None:
    with pytest.raises(DBTConfigurationError) as caught:
        vars_argument({"label": "caf\udce9"})  # bytes decoded with surrogateescape
    assert str(caught.value) == documented("vars-not-unicode")
