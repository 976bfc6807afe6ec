"""floe_core names no concrete runtime: any installed runtime is selected the same way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import floe_core

CORE = Path(floe_core.__file__).parent
RUNTIME_WORDS = re.compile(r"\b(local|cloud|fusion)\b", re.IGNORECASE)
RUNTIME_IDENTIFIERS = re.compile(r"(Local|Cloud|Fusion)[A-Z_]|floe_dbt_")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def runtime_mentions(source: str) -> list[str]:
    """Code (not docstrings or comments) that names a concrete runtime."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and RUNTIME_WORDS.search(node.value):
                found.append(f"line {node.lineno}: string {node.value[:60]!r}")
        elif isinstance(node, ast.Name) and RUNTIME_IDENTIFIERS.search(node.id):
            found.append(f"line {node.lineno}: name {node.id}")
        elif isinstance(node, ast.alias) and RUNTIME_IDENTIFIERS.search(node.name):
            found.append(f"line {node.lineno}: import {node.name}")
        elif isinstance(node, ast.ImportFrom) and RUNTIME_IDENTIFIERS.search(node.module or ""):
            found.append(f"line {node.lineno}: import from {node.module}")
    return found


def test_the_check_finds_what_it_looks_for() -> None:
    source = (
        '"""Docstrings may say local."""\n'
        "from floe_core.schemas import CloudRuntimeConfig\n"
        "import floe_dbt_local\n"
        "RUNTIMES = ('local', 'acme')\n"
        "message = f'dbt Cloud says: {x}'\n"
    )
    assert runtime_mentions(source) == [
        "line 2: import CloudRuntimeConfig",
        "line 3: import floe_dbt_local",
        "line 4: string 'local'",
        "line 5: string 'dbt Cloud says: '",
    ]


def test_floe_core_names_no_concrete_runtime() -> None:
    mentions = {
        str(path.relative_to(CORE)): found
        for path in sorted(CORE.rglob("*.py"))
        if (found := runtime_mentions(path.read_text(encoding="utf-8")))
    }
    assert mentions == {}
