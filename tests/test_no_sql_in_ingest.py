"""No SQL text in the ingest, the importers and their helpers: it is in ``dataset/store/``.

``tests/test_sql_boundary.py`` checks the same rule over the whole package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

DATASET = Path(__file__).resolve().parents[1] / "src" / "wfplan" / "dataset"
CHECKED = sorted([*(DATASET / "importers").glob("*.py"), DATASET / "ingest.py",
                  DATASET / "distinct.py", DATASET / "pseudonym.py", DATASET / "checks.py",
                  *DATASET.glob("demo*.py")])
#: (file, function) holding SQL owned by the store work: the duplicate-key check
#: (``hash()``, ``?::UBIGINT[]``) and the file names of earlier ingests it reports.
#: Functions allowed SQL text: none (the duplicate-key check moved into the store).
KNOWN: set[tuple[str, str]] = set()
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+(\s+AS\s+\w+)?"
                 r"\s+SET|CREATE\s+(TEMP\s+|TEMPORARY\s+)?TABLE|DROP\s+TABLE|WITH\s+\w+\s+AS\s*\()",
                 re.IGNORECASE | re.DOTALL)


def _statements(path: Path) -> list[tuple[str, int, str]]:
    """Return (function, line, text) of every string in the file that reads as SQL."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring may name SQL in prose
            for child in [*node.decorator_list, node.args, *body]:
                visit(child, function)
            return
        if isinstance(node, ast.JoinedStr | ast.Constant) and not (
                isinstance(node, ast.Constant) and not isinstance(node.value, str)):
            text = (node.value if isinstance(node, ast.Constant) else
                    "".join(v.value if isinstance(v, ast.Constant) else "{}"
                            for v in node.values))
            if isinstance(text, str) and SQL.search(text):
                found.append((function, node.lineno, text))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    module = tree.body
    if module and isinstance(module[0], ast.Expr) and isinstance(module[0].value, ast.Constant):
        module = module[1:]  # the module docstring
    for statement in module:
        visit(statement, "<module>")
    # Adjacent literals are one constant in the tree; an f-string part is caught alone too.
    return found


@pytest.mark.parametrize("path", CHECKED, ids=[p.name for p in CHECKED])
def test_no_sql_text_outside_the_queries(path: Path) -> None:
    stray = [(function, line, text[:80]) for function, line, text in _statements(path)
             if (path.name, function) not in KNOWN]
    assert not stray, f"{path.name}: SQL outside dataset/store/queries: {stray}"


def test_the_check_sees_sql_in_the_queries_and_none_in_ingest() -> None:
    """The check finds SQL where it is (else it could never fail)."""
    found = {(Path("ingest.py").name, function)
             for function, _, _ in _statements(DATASET / "ingest.py")}
    assert found == KNOWN
    queries = _statements(DATASET / "store" / "queries" / "importers.py")
    assert len(queries) > 10
