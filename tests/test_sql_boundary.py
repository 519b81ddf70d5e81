"""SQL lives in the store's query modules only, and is portable there (issue 10).

The layers above the dataset (model inputs, runs, assessment, CLI) ask for data
in domain terms (:mod:`wfplan.dataset.store.queries`); these tests read the source
and fail on an SQL statement in a string of those layers, or on a DuckDB-only
construct in the query modules they call.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "wfplan"
NO_SQL = ("inputs", "runs", "assessment", "cli")
STATEMENT = re.compile(r"\b(SELECT\b|INSERT\s+INTO\b|DELETE\s+FROM\b|UPDATE\s+\w+\s+SET\b|"
                       r"CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?"
                       r"(TABLE|VIEW|INDEX|SEQUENCE)\b)")
#: The query modules moved for model inputs, runs and bundles (helper i10-sql-inputs).
PORTABLE = ("model_inputs.py", "cells.py", "bundle.py", "_binding.py", "importers.py", "ingest.py",
            "geography.py", "metrics.py", "gaps.py", "_params.py")
FORBIDDEN = {
    "GROUP BY ALL": r"GROUP\s+BY\s+ALL\b",
    "ORDER BY ALL": r"ORDER\s+BY\s+ALL\b",
    "QUALIFY": r"\bQUALIFY\b",
    "regexp_*": r"\bregexp_\w+\(",
    "hash()": r"\bhash\(",
    "strftime": r"\bstrftime\(",
    "DuckDB-only cast": r"::\s*[A-Za-z]",
    "EXCLUDE": r"\bEXCLUDE\b",
    "count_if": r"\bcount_if\(",
    "arg_max/arg_min": r"\barg_(max|min)\(",
    "list functions": r"\blist_\w+\(",
    "unnest": r"\bunnest\(",
    "struct": r"\bstruct_\w+\(",
    "median()": r"\bmedian\(",
    "any_value": r"\bany_value\(",
    "starts_with": r"\bstarts_with\(",
    "date_diff": r"\bdate_?diff\(",
    "TRY_CAST": r"\bTRY_CAST\b",
    "INTERVAL n UNIT": r"INTERVAL\s+\d",
    "IF()": r"\bIF\(",
    "named parameter left": r"(?<![\w'])\$\d",
}


def _strings(path: Path) -> list[tuple[int, str]]:
    """Return every string constant of a module (f-string parts too), docstrings apart."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (SRC / folder).rglob("*.py"))


def _outside_the_store() -> list[Path]:
    store = SRC / "dataset" / "store"
    return sorted(p for p in SRC.rglob("*.py") if store not in p.parents)


def test_no_sql_anywhere_outside_dataset_store() -> None:
    """Issue 10's rule, over the whole package: SQL text only under ``dataset/store/``."""
    found = [f"{path.relative_to(SRC)}:{line}: {text.strip()[:60]!r}"
             for path in _outside_the_store() for line, text in _strings(path)
             if STATEMENT.search(text)]
    assert not found, "SQL belongs in wfplan.dataset.store: " + "; ".join(found)


def test_the_scanner_finds_sql_in_a_string(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstrings may say SELECT."""\n'
                      'X = f"SELECT * FROM {t}"\nY = "DELETE FROM ingests"\n'
                      'Z = "select the rows"\n', encoding="utf-8")
    found = [text for _, text in _strings(sample) if STATEMENT.search(text)]
    assert sorted(found) == ["DELETE FROM ingests", "SELECT * FROM "]


@pytest.mark.parametrize("path", _modules(*NO_SQL), ids=lambda p: str(p.relative_to(SRC)))
def test_no_sql_outside_the_store(path: Path) -> None:
    found = [f"{path.relative_to(SRC)}:{line}: {text.strip()[:60]!r}"
             for line, text in _strings(path) if STATEMENT.search(text)]
    assert not found, "SQL belongs in wfplan.dataset.store.queries: " + "; ".join(found)


@pytest.mark.parametrize("name", PORTABLE)
def test_the_query_modules_use_portable_sql(name: str) -> None:
    path = SRC / "dataset" / "store" / "queries" / name
    text = "\n".join(value for _, value in _strings(path))
    found = [rule for rule, pattern in FORBIDDEN.items() if re.search(pattern, text)]
    assert not found, f"{name} uses SQL that PostgreSQL lacks: {', '.join(found)}"
