"""Every documentation code block tagged ``<!-- runnable -->`` runs, as a reader would run it.

Each block is written to a script and run by this interpreter in a fresh
working directory, in its own process, next to the files its page shows
(blocks tagged ``<!-- file -->``, written under their titles): a snippet that sets a global
OpenTelemetry provider or leaves dbt state behind cannot disturb another test.
The script is padded so that a traceback names the line of the Markdown file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docs_processes import clean_env, python
from markdown_blocks import ROOT, CodeBlock, all_blocks

BLOCKS = all_blocks()
# `<!-- runnable: examples/NAME -->`: run with that directory of the repository
# copied into the working directory (as NAME/), as a reader runs it from examples/.
RUNNABLE = [
    block
    for block in BLOCKS
    if block.marker == "runnable" or block.marker_value("runnable") is not None
]
FILES = [block for block in BLOCKS if block.marker == "file"]


def test_runnable_blocks_are_python() -> None:
    wrong = [block.id for block in RUNNABLE if block.language != "python"]
    assert not wrong, f"only python blocks can be tagged runnable: {wrong}"


def test_file_blocks_are_named_and_used() -> None:
    for block in FILES:
        assert block.title, f'{block.id}: a file block needs title="<file name>"'
        assert not Path(block.title).is_absolute()
        assert ".." not in Path(block.title).parts
        assert any(runnable.path == block.path for runnable in RUNNABLE), (
            f"{block.id}: no runnable block on its page uses it"
        )


def test_migration_guide_has_its_before_and_after_examples() -> None:
    migration = [block for block in RUNNABLE if block.path == Path("MIGRATION.md")]
    sources = "\n".join(block.code for block in migration)
    # The "before" drives dbtRunner directly; the "after" goes through the DBTPlugin.
    assert "dbtRunner()" in sources
    assert ".run_models(" in sources
    assert 'copy_project("healthy"' in sources


@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_runnable_block_runs(block: CodeBlock, tmp_path: Path) -> None:
    for shown in FILES:
        if shown.path == block.path and shown.title:
            (tmp_path / shown.title).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / shown.title).write_text(shown.code, encoding="utf-8")
    example = block.marker_value("runnable")
    if example:
        source = (ROOT / example).resolve()
        assert source.parent == ROOT / "examples", f"{block.id}: {example} is not an example"
        assert source.is_dir(), f"{block.id}: {example} does not exist"
        ignored = shutil.ignore_patterns("target", "logs", "*.duckdb", "*.duckdb.wal")
        shutil.copytree(source, tmp_path / source.name, ignore=ignored)
    script = tmp_path / "snippet.py"
    script.write_text("\n" * (block.line - 1) + block.code, encoding="utf-8")
    # As a reader runs it: none of this pytest session's own settings leak in.
    completed = python(str(script), cwd=tmp_path, env=clean_env(PYTHONDONTWRITEBYTECODE="1"))
    assert completed.returncode == 0, (
        f"{block.id} failed (exit {completed.returncode}); the traceback's line numbers "
        f"are lines of {ROOT / block.path}:\n{completed.stdout}\n{completed.stderr}"
    )
