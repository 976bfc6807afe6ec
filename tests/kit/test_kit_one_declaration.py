"""Adding a promise is one declaration and one broken variant, and nothing else.

On a copy of the kit, one row is appended to one area module of the
catalogue, and nothing else of the kit is touched; beside the acme runtimes,
one broken variant is added. A session of the copied kit then shows the row
derived everywhere: on the promise page, in every certificate, parametrised
into the suite that compares with the reference, gated (n/a for a runtime
without the capability it declares), passed by the correct runtime and
refused on exactly that row for the variant.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import floe_dbt_compliance
import pytest

from .conftest import harness_conftest, install_acme
from .variants import VARIANTS, Variant

pytest_plugins = ("pytester",)

KEY = "run.demo-depth"
#: The one declaration: appended to the area module of `run`, as a person would write it.
DECLARATION = f"""

from floe_dbt_compliance.capabilities import Capability  # noqa: E402
from floe_dbt_compliance.fixture_scenarios import SELECTORS  # noqa: E402

ROWS = (
    *ROWS,
    Requirement(
        "{KEY}",
        "A demonstration: a depth-limited selector (1+customers) runs the parents dbt runs.",
        source="tests/kit/test_kit_one_declaration.py",
        req_ids=("REQ-086",),
        capability=Capability.LIFECYCLE,
        observes=Observes.ORACLE,
        reads=((SELECTORS, ("depth",)),),
    ),
)
"""
#: The one broken variant: it drops the depth of "n+model".
VARIANT_MODULE = """
import re

from acme_dbt import AcmeRuntime


class DemoDropsDepth(AcmeRuntime):
    def _selection(self, select, exclude, full_refresh):
        if select is not None:
            select = re.sub(r"(^|\\s)\\d+\\+", r"\\1+", select)
        return super()._selection(select, exclude, full_refresh)
"""
VARIANT = {"acme-demo": Variant("broken_demo:DemoDropsDepth", (KEY,))}


def _copy_kit(into: Path) -> Path:
    """The kit's package, copied, with the one declaration appended to one module."""
    source = Path(floe_dbt_compliance.__file__).parent
    copied = into / "floe_dbt_compliance"
    shutil.copytree(source, copied, ignore=shutil.ignore_patterns("__pycache__"))
    area = copied / "catalogue" / "calls.py"
    area.write_text(area.read_text(encoding="utf-8") + DECLARATION, encoding="utf-8")
    return into


def _rows(pytester: pytest.Pytester, runtime: str) -> dict[str, dict[str, Any]]:
    # One row asked for: a partial session, its certificate beside the complete one.
    path = pytester.path / "report" / runtime / "certificate.partial.json"
    return {row["key"]: row for row in json.loads(path.read_text())["requirements"]}


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_new_promise_is_one_declaration_and_one_variant(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    kit = _copy_kit(pytester.path / "kit")
    variants = {**VARIANTS, **VARIANT}
    install_acme(pytester.path, variants)
    (pytester.path / "acme_dbt" / "broken_demo.py").write_text(VARIANT_MODULE, encoding="utf-8")
    pytester.makeconftest(harness_conftest(variants))
    monkeypatch.setenv("PYTHONPATH", str(kit))  # the copy comes before the installed kit

    page = subprocess.run(
        [sys.executable, "-m", "floe_dbt_compliance.catalogue"],
        cwd=pytester.path,
        env={**os.environ, "PYTHONPATH": str(kit)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"| `{KEY}` | A demonstration:" in page
    assert "| lifecycle | compared with plain dbt-core on selectors: depth |" in page

    result = pytester.runpytest_subprocess(
        "--floe-dbt-compliance",
        "--floe-dbt-report=report",
        "-p",
        "no:cacheprovider",
        *(f"--floe-dbt-runtime={name}" for name in ("acme", "acme-basic", "acme-demo")),
        f"--floe-dbt-requirement={KEY}",
    )
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, output[-3000:]

    # In the certificate, and parametrised into the suite that compares with the reference.
    correct = _rows(pytester, "acme")
    assert correct[KEY]["status"] == "passed", correct[KEY]
    # (the copy's suites ran: their path is the copy's)
    assert correct[KEY]["tests"] == [
        f"kit/floe_dbt_compliance/suites/suite_scenarios.py::test_agrees_with_reference[acme-{KEY}]"
    ]
    # Gated: a runtime without the capability the row declares.
    basic = _rows(pytester, "acme-basic")[KEY]
    assert basic["status"] == "n/a", basic
    assert basic["reason"].startswith("lifecycle: the runtime does not declare the lifecycle")
    # Refused: on exactly that row, with what differs.
    demo = _rows(pytester, "acme-demo")
    failed = {key for key, row in demo.items() if row["status"] == "failed"}
    assert failed == {KEY}
    assert {row["status"] for key, row in demo.items() if key != KEY} == {"not run"}
    (finding,) = demo[KEY]["findings"]
    assert (finding["scenario"], finding["step"]) == ("selectors", "depth")
    assert f"FAIL {KEY}: floe_dbt_compliance.runs.Disagreement: the runtime disagrees" in output
