"""dbt's vocabulary is written once, in floe_core.vocabulary, and everything else reads it.

Two guards make that permanent:

* the table agrees with the contract (each command's method, and the keyword
  arguments it takes), and the kit, the cloud runtime and its emulator read
  theirs from it (the same commands, the same options, a step parsed back
  into the same arguments);
* no module of ``src/`` or the kit outside ``floe_core/vocabulary.py`` writes
  a table of command or option names of its own: a literal collection
  holding two or more of them, assigned, iterated over, compared against or
  made a set, is refused (each place that needs one names the table's
  entries instead). Step keys of the kit's scenarios, which happen to be
  named like commands, are the only exceptions, listed below with why.
"""

from __future__ import annotations

import ast
import inspect
import itertools
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

import floe_core
from floe_core.errors import DBTConfigurationError
from floe_core.lifecycle import DBTLifecycle
from floe_core.plugin_interfaces import DBTPlugin
from floe_core.selectors import DbtVars, Selector
from floe_core.vocabulary import (
    COMMANDS,
    COMPILE,
    CONTRACT_COMMANDS,
    LIFECYCLE_COMMANDS,
    RUN,
    RUN_FLAG_OPTIONS,
    SEED,
    TEST,
    DbtArguments,
    DbtCommand,
    Option,
    RunFlags,
    command_for_method,
    command_for_resource_type,
)

ROOT = Path(floe_core.__file__).parents[2]
SOURCES = (ROOT / "src", ROOT / "compliance" / "floe_dbt_compliance")
VOCABULARY = ROOT / "src" / "floe_core" / "vocabulary.py"
WORDS = {command.name for command in COMMANDS.values()} | {
    spelling for option in Option for spelling in (option.value, option.flag)
}
# Literals that hold step keys of the kit's scenarios (steps are named after what they
# do, often a command), never a set of commands: (file, the name they are assigned to).
STEP_KEYS = {
    ("compliance/floe_dbt_compliance/fixture_scenarios.py", "ALL"),
    ("compliance/floe_dbt_compliance/suites/suite_concurrency.py", "SERIAL_BATCH"),
    ("compliance/floe_dbt_compliance/suites/suite_concurrency.py", "PARALLEL_BATCH"),
}


def test_the_table_is_the_contract_s_methods_and_their_keyword_arguments() -> None:
    assert [command.name for command in COMMANDS.values()] == [
        "compile",
        "run",
        "test",
        "seed",
        "snapshot",
        "build",
    ]
    for command in COMMANDS.values():
        owner = DBTLifecycle if command.lifecycle else DBTPlugin
        method = getattr(owner, command.method)
        parameters = list(inspect.signature(method).parameters)
        assert parameters[:4] == ["self", "project_dir", "profiles_dir", "target"], command
        assert set(parameters[4:]) == {option.value for option in command.options}, command
        assert command_for_method(command.method) is command
        assert command.flags == command.options | {Option.VARS, *RUN_FLAG_OPTIONS}
    assert CONTRACT_COMMANDS == (COMPILE, RUN, TEST)
    assert {command.method for command in LIFECYCLE_COMMANDS} == {
        name
        for name, value in vars(DBTLifecycle).items()
        if getattr(value, "__isabstractmethod__", False)
    } - {"with_vars"}
    assert command_for_method("edit") is None


def test_what_each_command_executes_writes_and_counts() -> None:
    assert {
        kind: command_for_resource_type(kind).name for kind in COMMANDS["build"].resource_types
    } == {
        "model": "run",
        "seed": "seed",
        "snapshot": "snapshot",
        "test": "test",
        "unit_test": "test",
    }
    assert COMPILE.artifacts == ("manifest.json",)
    assert COMPILE.counts == ()
    assert RUN.artifacts == ("manifest.json", "run_results.json")
    assert RUN.counts == ("models_run", "tests_run", "failures")
    assert RUN.metadata_counts == ()
    assert SEED.metadata_counts == ("seeds_run", "snapshots_run")
    with pytest.raises(KeyError):
        command_for_resource_type("source")


def test_arguments_are_checked_once_and_passed_on_as_they_are() -> None:
    select = Selector("tag:a b+")
    variables = DbtVars({"x": 1e16})
    arguments = DbtArguments.of("seed", select=select, vars=variables)
    assert arguments.select is select
    assert arguments.vars is variables
    assert DbtArguments.of(arguments.command, select=arguments.select).select is select
    with pytest.raises(DBTConfigurationError, match=r"^dbt test takes no --exclude here$"):
        DbtArguments.of("test", exclude="a")
    with pytest.raises(DBTConfigurationError, match=r"^dbt snapshot takes no --full-refresh"):
        DbtArguments.of("snapshot", full_refresh=True)
    with pytest.raises(DBTConfigurationError, match="not `dbt docs`"):
        DbtArguments.of("docs")
    assert DbtArguments.of("compile").span_options() == {
        "select": None,
        "exclude": None,
        "full_refresh": None,
    }
    assert DbtArguments.of("run").span_options()["full_refresh"] is False


def test_the_kit_s_scenarios_read_the_table() -> None:
    from floe_dbt_compliance import scenarios

    assert {command.method: command.name for command in COMMANDS.values()} == scenarios.COMMANDS
    assert {command.method for command in LIFECYCLE_COMMANDS} == scenarios.LIFECYCLE_METHODS
    assert {
        command.method: {option.value for option in command.options}
        for command in COMMANDS.values()
    } == scenarios.OPTIONS


def test_the_cloud_jobs_are_the_table_s_commands() -> None:
    from floe_dbt_cloud.config import JobIds
    from floe_dbt_cloud.jobs import JobPlan

    assert set(JobIds.model_fields) == set(COMMANDS)
    plan = JobPlan.parse({"compile": 1, "run": 2, "test": 3})
    assert set(plan.as_dict()) == set(COMMANDS)
    assert set(plan.lifecycle) == {command.name for command in LIFECYCLE_COMMANDS}


def _calls() -> list[DbtArguments]:
    calls = []
    for command in COMMANDS.values():
        options = sorted(command.flags, key=list(Option).index)
        for size in range(len(options) + 1):
            for chosen in itertools.combinations(options, size):
                if Option.DEFER in chosen and Option.STATE not in chosen:
                    continue  # refused: see test_defer_needs_a_state
                values: dict[Option, Any] = {
                    Option.SELECT: "tag:a b+",
                    Option.EXCLUDE: "c",
                    Option.FULL_REFRESH: True,
                    Option.VARS: {"d": "x y", "n": 1e16},
                }
                bound = RunFlags(
                    Option.FAIL_FAST in chosen,
                    Path("prod state") if Option.STATE in chosen else None,
                    Option.DEFER in chosen,
                )
                given = {o.value: values[o] for o in chosen if o not in RUN_FLAG_OPTIONS}
                calls.append(DbtArguments.of(command, run_flags=bound, **given))
    return calls


@pytest.mark.parametrize("arguments", _calls(), ids=lambda a: a.command_line())
def test_the_emulator_reads_back_every_step_the_cloud_runtime_sends(
    arguments: DbtArguments,
) -> None:
    from floe_dbt_cloud.commands import steps_override
    from floe_dbt_cloud_emulator.steps import parse_step

    steps = steps_override(arguments) or [arguments.command_line()]
    parsed = parse_step(steps[0]).arguments
    assert parsed.command is arguments.command
    assert (parsed.select, parsed.exclude, parsed.full_refresh) == (
        arguments.select,
        arguments.exclude,
        arguments.full_refresh,
    )
    assert parsed.vars == arguments.vars
    assert parsed.run_flags == arguments.run_flags
    assert parsed.flags() == arguments.flags()


@pytest.mark.parametrize("command", list(COMMANDS.values()), ids=lambda c: c.name)
def test_the_emulator_refuses_the_options_the_table_does_not_give_a_command(
    command: DbtCommand,
) -> None:
    from floe_dbt_cloud_emulator.steps import parse_step

    refused = {Option.SELECT, Option.EXCLUDE, Option.FULL_REFRESH} - command.options
    assert refused == {
        "compile": {Option.SELECT, Option.EXCLUDE, Option.FULL_REFRESH},
        "test": {Option.EXCLUDE, Option.FULL_REFRESH},
        "snapshot": {Option.FULL_REFRESH},
    }.get(command.name, set())
    for option in refused:
        value = "" if option is Option.FULL_REFRESH else " a"
        with pytest.raises(ValueError, match=f"dbt {command.name}"):
            parse_step(f"dbt {command.name} {option.flag}{value}")


def _vocabulary_literals(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    """Literal collections of two or more vocabulary words where a table would be written.

    Positions: a value assigned (or added), an iterable looped over, a right side compared
    against, an argument of set/frozenset/tuple/list. (An argument of any other
    call is data: a scenario's steps, a row's reads.)
    """
    found = []

    def check(node: ast.AST | None, name: str) -> None:
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            elements: list[ast.expr] = list(node.elts)
        elif isinstance(node, ast.Dict):
            elements = [key for key in node.keys if key is not None] + list(node.values)
        else:
            return
        words = sorted(
            {
                e.value
                for e in elements
                if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value in WORDS
            }
        )
        if len(words) >= 2:
            found.append((node.lineno, name, words))

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            check(node.value, names[0] if names else "")
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            check(node.value, node.target.id if isinstance(node.target, ast.Name) else "")
        elif isinstance(node, (ast.For, ast.comprehension)):
            check(node.iter, "")
        elif isinstance(node, ast.Compare):
            for comparator in node.comparators:
                check(comparator, "")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"set", "frozenset", "tuple", "list"}
        ):
            for argument in node.args:
                check(argument, "")
    return sorted(found)


def test_no_command_or_option_table_is_written_outside_the_vocabulary() -> None:
    written = {}
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            if path == VOCABULARY:
                continue
            relative = str(path.relative_to(ROOT))
            for line, name, words in _vocabulary_literals(ast.parse(path.read_text())):
                if (relative, name) not in STEP_KEYS:
                    written[f"{relative}:{line}"] = words
    assert written == {}, (
        "dbt's commands and options are written down once, in floe_core/vocabulary.py; "
        f"read them from there: {written}"
    )


def test_the_guard_finds_a_table_written_again() -> None:
    tree = ast.parse(
        "LIFECYCLE = frozenset({'seed', 'snapshot', 'build'})\n"
        "if command in ('run', 'seed'):\n    pass\n"
        "for name in ('select', 'exclude'):\n    pass\n"
        "FLAGS = {'--full-refresh': 1, '--vars': 2}\n"
        "flags += ['--select', 'a', '--exclude', 'b']\n"
        "step('run', 'run_models', select='x')\n"  # data: a scenario's step
        "ONE = ('seed',)\n"
    )
    assert [(line, words) for line, _name, words in _vocabulary_literals(tree)] == [
        (1, ["build", "seed", "snapshot"]),
        (2, ["run", "seed"]),
        (4, ["exclude", "select"]),
        (6, ["--full-refresh", "--vars"]),
        (7, ["--exclude", "--select"]),
    ]
    # The step-key exceptions still exist (a stale exception would hide nothing).
    for relative, name in STEP_KEYS:
        assert f"\n{name} = (" in (ROOT / relative).read_text(), (relative, name)


def test_a_secret_var_is_rendered_in_clear_for_dbt_only() -> None:
    arguments = DbtArguments.of("seed", select="a", vars={"key": SecretStr("s3cr3t-value")})
    assert "s3cr3t-value" in arguments.flags()[-1]
    assert "s3cr3t-value" in arguments.command_line()
    for shown in (repr(arguments), str(arguments), repr(arguments.vars), str(arguments.vars)):
        assert "s3cr3t-value" not in shown
    assert "s3cr3t-value" not in str(arguments.span_options())
    assert arguments.vars.secrets == ("s3cr3t-value",)
