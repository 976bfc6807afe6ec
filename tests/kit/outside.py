"""Running Python as a vendor would, outside this pytest session: the docs tests' helpers.

``tests/docs`` is not a package: its helpers are imported the way its own
test modules import them, from its directory.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "docs"))

from docs_processes import clean_env, python, run  # noqa: E402
from markdown_blocks import CodeBlock, parse_blocks  # noqa: E402

__all__ = ["ROOT", "CodeBlock", "clean_env", "parse_blocks", "python", "run"]
