"""The codebase stays readable in one sitting: no module over 320 lines, no function over 60."""

from __future__ import annotations

import ast
from pathlib import Path

QA = Path(__file__).resolve().parent.parent / "qa"
MODULE_LINES, FUNCTION_LINES = 320, 60


def _sizes() -> dict[str, int]:
    sizes = {}
    for path in sorted(QA.rglob("*.py")):
        name = str(path.relative_to(QA.parent))
        source = path.read_text(encoding="utf-8")
        sizes[name] = source.count("\n")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                sizes[f"{name}:{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def test_no_module_or_function_is_over_its_limit():
    over = {
        name
        for name, lines in _sizes().items()
        if lines > (FUNCTION_LINES if ":" in name else MODULE_LINES)
    }
    assert over == set()
