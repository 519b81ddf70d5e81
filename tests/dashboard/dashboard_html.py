"""Helpers of the dashboard tests: logging in with httpx, reading a page's tables and links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """Return the first form's hidden csrf value."""
    found = CSRF_FIELD.search(html)
    assert found is not None, "no csrf field in the page"
    return found.group(1)


def login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    """Log in through the form (GET /login for the csrf cookie and field, then POST)."""
    form = client.get("/login")
    assert form.status_code == 200
    return client.post("/login", data={"name": name, "password": password,
                                       "csrf": csrf_of(form.text)})


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tables: dict[str, dict[str, list]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src", "action"):
            if found.get(name) is not None:
                self.links.append(str(found[name]))
        if tag == "table":
            self._table = found.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = {"head": [], "rows": []}
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            key = "head" if self._head else "rows"
            if key == "head":
                self.tables[self._table]["head"] = self._row
            else:
                self.tables[self._table]["rows"].append(self._row)
            self._row = None
        elif tag == "thead":
            self._head = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Parser:
    """Return the page's links (href, src, action) and tables (by id: head, rows of text)."""
    parser = _Parser()
    parser.feed(html)
    return parser


def page_number(text: str) -> float | None:
    """Return the number a page's cell shows (``1,234``, ``7.3%`` as 0.073; None for n/a)."""
    if text in ("n/a", ""):
        return None
    value = float(text.replace(",", "").replace("\u2212", "-").rstrip("%"))
    return value / 100 if text.endswith("%") else value


def decimals_shown(text: str) -> int:
    """Return the decimals a page's cell shows (of the percentage, for a rate)."""
    digits = text.rstrip("%").split(".")
    return len(digits[1]) if len(digits) == 2 else 0
