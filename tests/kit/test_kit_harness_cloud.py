"""The cloud runtime's own kit harness: the bundled emulator from anywhere, and live mode.

Live mode is pointed at an emulator started as a separate process
(``python -m floe_dbt_cloud_emulator``), as it would be at dbt Cloud: the kit
knows only the environment variables a user sets, talks HTTP, and cannot
look into the server, its project or its warehouse.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from floe_dbt_cloud_emulator.live_settings import LIVE_PREFIX, LiveSettings

from .outside import clean_env, python

pytest_plugins = ("pytester",)

TOKEN = "dbtc_live-emulator-5e1f0a"
# Rows that cost few remote runs: the healthy sequence up to ``test``, a project live
# mode cannot deploy, the metadata, and a cache hit counted on the client side.
CHEAP_ROWS = tuple(
    f"--floe-dbt-requirement={key}"
    for key in (
        "compile.manifest",
        "run.all",
        "test.all",
        "test.fail",
        "metadata.type",
        "cache.hit",
        "projects.latest",
        "remote.retries-transient",
        "remote.chaos",
    )
)


def _python(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """This interpreter in ``cwd``, without this session's ``PYTEST_*`` settings."""
    return python(*args, cwd=cwd, env=clean_env(**env))


def _env(**values: str) -> dict[str, str]:
    return {LIVE_PREFIX + name: value for name, value in values.items()}


GOOD = _env(
    ACCOUNT_ID="31",
    API_TOKEN_REF="live-token",
    JOB_IDS='{"healthy": {"compile": 1, "run": 2, "test": 3}}',
)


def test_live_settings_read_the_environment():
    settings = LiveSettings.from_environment(
        {**GOOD, LIVE_PREFIX + "BASE_URL": "https://emea.dbt.com/api/v2", "UNRELATED": "x"}
    )
    assert settings.account_id == "31"
    assert settings.api_token_ref == "live-token"
    assert settings.job_ids == {"healthy": {"compile": 1, "run": 2, "test": 3}}
    assert settings.base_url == "https://emea.dbt.com/api/v2"
    assert settings.discovery_url is None
    assert settings.poll_interval_seconds == 5.0


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "FLOE_DBT_CLOUD_LIVE_ACCOUNT_ID: Field required"),
        ({**GOOD, LIVE_PREFIX + "ACCOUNT_ID": "acme"}, "FLOE_DBT_CLOUD_LIVE_ACCOUNT_ID: String"),
        ({**GOOD, LIVE_PREFIX + "JOB_IDS": "{healthy"}, "FLOE_DBT_CLOUD_LIVE_JOB_IDS is not JSON"),
        (
            {**GOOD, LIVE_PREFIX + "JOB_IDS": '{"shop": {"compile": 1, "run": 2, "test": 3}}'},
            "the kit's 'healthy' project",
        ),
        (
            {**GOOD, LIVE_PREFIX + "JOB_IDS": '{"healthy": {"compile": 1, "run": 2}}'},
            "project 'healthy' needs positive compile, run and test job ids",
        ),
        ({**GOOD, LIVE_PREFIX + "POLL_INTERVAL_SECONDS": "0"}, "POLL_INTERVAL_SECONDS"),
    ],
)
def test_live_settings_name_the_variable_that_is_wrong(environ: dict[str, str], message: str):
    with pytest.raises(ValueError, match=re.escape(message)):
        LiveSettings.from_environment(environ)


def test_live_mode_refuses_to_start_without_its_variables(pytester: pytest.Pytester):
    result = pytester.runpytest_inprocess(
        "--floe-dbt-compliance", "--floe-dbt-runtime=cloud", "--floe-dbt-cloud-live", "--co"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--floe-dbt-cloud-live: live mode reads the dbt Cloud account from environment*"]
    )


@pytest.fixture(scope="module")
def emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``python -m floe_dbt_cloud_emulator`` in its own process; what it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "floe_dbt_cloud_emulator", "--token", TOKEN, "--account-id", "31"],
        cwd=tmp_path_factory.mktemp("emulator"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(printed)
        found = dict(re.findall(r"^\s+(base URL|discovery URL):\s+(\S+)$", text, re.M))
        jobs = re.search(r"job_ids: \{compile: (\d+), run: (\d+), test: (\d+)\}", text)
        assert jobs is not None, text
        assert found, text
        yield {
            "base_url": found["base URL"],
            "discovery_url": found["discovery URL"],
            "job_ids": json.dumps(
                {
                    "healthy": dict(
                        zip(("compile", "run", "test"), map(int, jobs.groups()), strict=True)
                    )
                }
            ),
        }
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _certify_live(directory: Path, served: dict[str, str], token: str) -> dict[str, Any]:
    completed = _python(
        [
            "-m",
            "pytest",
            "--floe-dbt-compliance",
            "--floe-dbt-runtime=cloud",
            "--floe-dbt-cloud-live",
            *CHEAP_ROWS,
            "--floe-dbt-chaos=7",
            "--floe-dbt-report=report",
            "-p",
            "no:cacheprovider",
        ],
        directory,
        **_env(
            ACCOUNT_ID="31",
            API_TOKEN_REF="live-token",
            BASE_URL=served["base_url"],
            DISCOVERY_URL=served["discovery_url"],
            JOB_IDS=served["job_ids"],
            POLL_INTERVAL_SECONDS="0.05",
        ),
        FLOE_SECRET_LIVE_TOKEN=token,
    )
    path = directory / "report" / "cloud" / "certificate.partial.json"  # rows asked for
    assert path.is_file(), completed.stdout + completed.stderr
    document = json.loads(path.read_text())
    document["_output"] = completed.stdout + completed.stderr
    return document


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_live_mode_certifies_what_it_observes_and_reports_what_it_cannot(
    emulator_process: dict[str, str], tmp_path: Path
):
    work = tmp_path / "empty"
    work.mkdir()
    document = _certify_live(work, emulator_process, TOKEN)
    found = {row["key"]: row for row in document["requirements"]}
    output = document["_output"]
    for key in ("compile.manifest", "test.all", "metadata.type", "cache.hit"):
        assert found[key]["status"] == "passed", (key, found[key]["reason"], output[-3000:])
    # Counts and node ids were checked; the warehouse cannot be, and the row says so.
    assert found["run.all"]["status"] == "n/a"
    assert found["run.all"]["reason"].startswith(
        "warehouse not observable: live mode: the kit cannot read the warehouse"
    )
    assert found["test.fail"]["status"] == "n/a"
    assert (
        "no dbt Cloud job runs the kit's project 'test_outcomes'" in (found["test.fail"]["reason"])
    )
    assert document["runtime"]["metadata"]["base_url"] == emulator_process["base_url"]
    # One deployment serving several projects: the kit cannot deploy the others live.
    assert found["projects.latest"]["status"] == "n/a"
    assert "cannot deploy its copy of 'ephemeral'" in found["projects.latest"]["reason"]
    # A real account cannot be made to fail on purpose: the conversation rows, chaos too,
    # are certified on the emulator.
    for key in ("remote.retries-transient", "remote.chaos"):
        assert found[key]["status"] == "n/a", (key, found[key])
        assert found[key]["reason"].startswith("remote_service: the harness gives no remote")
    assert TOKEN not in json.dumps(document)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_live_mode_fails_rows_it_cannot_pass_never_marks_them_na(
    emulator_process: dict[str, str], tmp_path: Path
):
    document = _certify_live(tmp_path, emulator_process, "dbtc_not-the-token")
    found = {row["key"]: row for row in document["requirements"]}
    assert document["verdict"] == "not certified"
    for key in ("compile.manifest", "test.all", "cache.hit"):
        assert found[key]["status"] == "failed", (key, found[key])
    assert "401" in found["compile.manifest"]["reason"]
    assert "dbtc_not-the-token" not in json.dumps(document)


# As `pip install floe-dbt` (no extras) leaves it: none of these can be imported.
WITHOUT_EXTRAS = """
import sys
from importlib.abc import MetaPathFinder

MISSING = {"httpx", "starlette", "uvicorn", "graphql", "dbt", "dbt_common", "duckdb"}


class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
import pytest

sys.exit(pytest.main(sys.argv[1:]))
"""


def test_without_the_extras_pytest_runs_and_the_kit_skips_what_it_cannot_build(tmp_path: Path):
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    pass\n", encoding="utf-8")
    (tmp_path / "no_extras.py").write_text(WITHOUT_EXTRAS, encoding="utf-8")
    # Only floe-dbt's own plugins, as in an environment that has nothing else.
    plugins = ["-p", "floe_dbt_compliance", "-p", "floe_dbt_cloud_kit", "-p", "no:cacheprovider"]

    def pytest_without_extras(*args: str) -> subprocess.CompletedProcess[str]:
        return _python(
            ["no_extras.py", *plugins, *args], tmp_path, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"
        )

    # pytest loads the cloud kit plugin in every session: it must not need httpx.
    mine = pytest_without_extras("test_mine.py")
    assert mine.returncode == 0, mine.stdout + mine.stderr
    kit = pytest_without_extras("--floe-dbt-compliance", "--floe-dbt-requirement=compile.manifest")
    assert kit.returncode == 0, kit.stdout[-3000:] + kit.stderr[-2000:]
    for runtime, missing in (
        ("cloud", "pip install 'floe-dbt[cloud]' (ModuleNotFoundError: No module named"),
        ("local", "pip install 'floe-dbt[local]'"),
    ):
        document = json.loads(
            (tmp_path / ".floe/compliance" / runtime / "certificate.partial.json").read_text()
        )
        row = next(row for row in document["requirements"] if row["key"] == "compile.manifest")
        assert row["status"] == "skipped", row
        assert row["reason"].startswith("not certified here: runtime "), row
        assert missing in row["reason"]
    assert "cloud (<cannot load: " in kit.stdout
    assert "name it to make this a failure\n" in kit.stdout
