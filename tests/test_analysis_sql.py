"""No SQL in the analysis layer or the geography module; the analysis queries are portable.

Issue 10: every SQL statement lives in ``dataset/store`` or ``dataset/store/queries``,
and the queries run unchanged on DuckDB and PostgreSQL (checked by running
them, in ``test_analysis_queries_pg.py``; this lint catches the DuckDB-only
constructs without a server).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "wfplan"
SQL_FREE = [*sorted((SRC / "analysis").glob("*.py")), SRC / "dataset" / "geography.py"]
QUERIES = [SRC / "dataset" / "store" / "queries" / name
           for name in ("_params.py", "geography.py", "metrics.py", "gaps.py")]

#: SQL in a string literal: keywords in capitals, as this code base writes them, or a
#: lower-case ``select ... from ... where``.
_STATEMENT = re.compile(
    r"""\b(?:SELECT\s+(?:DISTINCT\s+)?[\w*(]|INSERT\s+INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET\b|"""
    r"""CREATE\s+(?:TABLE|VIEW|INDEX|SCHEMA|SEQUENCE)|WITH\s+\w+\s+AS\s*\(|GROUP\s+BY|"""
    r"""FROM\s+\w+(?:\s+\w+)?\s+WHERE)|(?i:\bselect\s.+\sfrom\s+\w+.*\swhere\s)""",
    re.DOTALL)

#: DuckDB-only syntax (docs: /work/notes/I10-CONVENTIONS.md, "Portable SQL").
FORBIDDEN = {
    "GROUP BY ALL": r"GROUP\s+BY\s+ALL", "ORDER BY ALL": r"ORDER\s+BY\s+ALL",
    "QUALIFY": r"\bQUALIFY\b", "regexp_*": r"\bregexp_\w+\(", "hash()": r"\bhash\(",
    "::TYPE casts": r"::\s*[A-Za-z]", "strftime": r"\bstrftime\(", "EXCLUDE": r"\bEXCLUDE\b",
    "count_if": r"\bcount_if\(", "arg_max/arg_min": r"\barg_m(?:ax|in)\(",
    "list()": r"\blist(?:_\w+)?\(", "struct": r"\bstruct(?:_\w+)?\(", "median()": r"\bmedian\(",
    "DOUBLE": r"\bAS\s+DOUBLE\b(?!\s+PRECISION)", "ILIKE": r"\bILIKE\b", "IF()": r"\bIF\(",
    "try_cast": r"\btry_cast\(", "date_diff": r"\bdate_?diff\(", "any_value": r"\bany_value\(",
    "INTERVAL n UNIT": r"INTERVAL\s+\d", "USING": r"\bUSING\s*\(",
}


def _strings(path: Path) -> list[tuple[int, str]]:
    """Return the string literals of a module with their line numbers."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else " x "
                           for v in node.values)
            found.append((node.lineno, text))
    return found


def _docstrings(path: Path) -> set[int]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                lines.add(body[0].value.lineno)
    return lines


@pytest.mark.parametrize("path", SQL_FREE, ids=lambda p: p.name)
def test_no_sql_statement_outside_the_queries(path: Path) -> None:
    docs = _docstrings(path)
    found = [f"{path.name}:{line}: {text[:60]!r}" for line, text in _strings(path)
             if line not in docs and _STATEMENT.search(text)]
    assert not found, "SQL belongs in wfplan.dataset.store.queries:\n" + "\n".join(found)


def test_the_statement_pattern_finds_sql() -> None:
    for sql in ("SELECT max(period) FROM t", "select count(*) from t where x = ?",
                "INSERT INTO t VALUES (?)", "DELETE FROM t", "UPDATE t SET x = 1",
                "CREATE TABLE t (x int)", "WITH org AS (SELECT 1)", "x GROUP BY 1",
                "sum(fte) AS fte FROM staff_in_post f WHERE", "f.period = ? GROUP BY ALL"):
        assert _STATEMENT.search(sql), sql
    for prose in ("Select the vintage to report on", "the rows selected", "created at",
                  "update the dataset", "Return the staff in post, grouped by area",
                  "select a vintage from the list"):
        assert not _STATEMENT.search(prose), prose


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_queries_use_no_duckdb_only_syntax(path: Path) -> None:
    docs = _docstrings(path)
    found = [f"{path.name}:{line}: {name}" for line, text in _strings(path)
             if line not in docs for name, pattern in FORBIDDEN.items()
             if re.search(pattern, text, re.IGNORECASE)]
    assert not found, "not portable to PostgreSQL:\n" + "\n".join(found)


def test_the_portability_lint_finds_duckdb_syntax() -> None:
    for sql in ("SELECT a, count(*) FROM t GROUP BY ALL", "SELECT * FROM t QUALIFY rn = 1",
                "SELECT NULL::DATE", "SELECT list(DISTINCT x) FROM t", "x - INTERVAL 12 MONTH",
                "SELECT try_cast(x AS INTEGER)", "SELECT CAST(x AS DOUBLE)"):
        assert any(re.search(p, sql, re.IGNORECASE) for p in FORBIDDEN.values()), sql
    assert not any(re.search(p, "SELECT CAST(x AS DOUBLE PRECISION) FROM t GROUP BY 1",
                             re.IGNORECASE) for p in FORBIDDEN.values())
