"""The pages' tables written fast (wfplan.web.pages.table_html) are the NHS.UK macro's, to the byte.

Each table is rendered through ``macros/tables.html`` twice: as the pages render it
(``table_html``), and with ``table_html`` giving None, so that the NHS.UK
``table`` macro writes it. The tables are those the pages build from the running
server's answers on the demo vintage (the ICB's organisations, the areas, the
current position, ethnicity, change of staff in post, the map's, the gap
report's links), and tables built to test the edges (escaping, empty cells,
links with ``&``, text the macro reflows, an empty table).
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
import pytest
from jinja2 import Environment

from service.live import ICB, REGION
from wfplan.web.pages.gaps import section_table
from wfplan.web.pages.maps import map_table
from wfplan.web.pages.render import environment
from wfplan.web.pages.table_html import table_html
from wfplan.web.pages.tables import (
    Cell,
    Table,
    areas_table,
    ethnicity_table,
    net_change_table,
    organisations_table,
    position_table,
)

pytestmark = pytest.mark.xdist_group("dashboard")
CALL = '{% from "macros/tables.html" import data_table %}{{ data_table(t, query) }}'


@functools.cache
def _macro_environment() -> Environment:
    """Return a new pages' environment whose ``table_html`` gives None (the macro writes all)."""
    env = environment.__wrapped__()  # type: ignore[attr-defined]  # functools.cache's own
    env.globals["table_html"] = lambda table: None
    return env


def _both(table: Table, query: str = "") -> tuple[str, str]:
    """Return the table's block as the pages write it, and as the NHS.UK macro writes it."""
    fast = environment().from_string(CALL).render(t=table, query=query)
    slow = _macro_environment().from_string(CALL).render(t=table, query=query)
    return fast, slow


def _demo_tables(url: str, tokens: dict[str, str]) -> list[Table]:
    def get(role: str | None, path: str, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        answer = httpx.get(f"{url}/api/v1{path}", params={"vintage": "demo", **params},
                           headers=headers, timeout=120)
        assert answer.status_code == 200, (path, answer.text[:200])
        return answer.json()

    icb = get("icb", "/metrics", level="icb", area=ICB)
    public = get(None, "/metrics", level="icb")
    region = get("national", "/metrics", level="region")
    orgs = get("icb", "/organisations", icb=ICB)
    gaps = get("national", "/gaps")
    tables = [position_table("icb-QMJ-position", "North Central London: the position", icb),
              ethnicity_table("icb-QMJ-ethnicity", "Ethnicity by band", icb, ICB),
              net_change_table("icb-QMJ-net-change", "Change of staff in post", icb),
              organisations_table("icb-QMJ-organisations", "Organisations in the ICB", orgs),
              areas_table("england-icbs", "ICBs", "ICB", public, "/area/icb/{code}"),
              areas_table("england-regions", "Regions", "Region", region,
                          "/area/region/{code}", [REGION]),
              map_table("england-map", "ICBs: the measure mapped", public, "vacancy_rate")]
    tables += [section_table(name, rows) for name, rows in gaps["sections"].items() if rows]
    return tables


def test_every_demo_table_is_written_as_the_macro_writes_it(dash_server) -> None:
    tables = _demo_tables(dash_server.url, dash_server.server.tokens)
    assert len(tables[3].rows) > 100  # the ICB's organisations: the table that was slow
    assert any(any(c.href for c in row) for row in tables[3].rows)
    for table in tables:
        assert table_html(table) is not None, table.table_id  # written fast, not by the macro
        fast, slow = _both(table, query="vintage=demo&measure=x")
        assert fast == slow, table.table_id


def test_the_edges_are_written_as_the_macro_writes_them() -> None:
    table = Table("edge-1", 'Caption <b> & "quoted" it\'s', ["Name & <code>", "", "Value"])
    table.rows += [
        [Cell("A & B <i>", href="/area/org/A?x=1&y=2"), Cell(None), Cell(1234.5, "count")],
        [Cell(""), Cell("é ü — ‘x’"), Cell(None, "percent")],
        [Cell(0, "fte"), Cell("0"), Cell(float("nan"), "ratio")],
    ]
    table.notes.append("A note <with> markup & more")
    empty = Table("edge-2", "No rows at all", ["Only"])
    for case in (table, empty):
        assert table_html(case) is not None
        fast, slow = _both(case, query="a=1&b=<2>")
        assert fast == slow


@pytest.mark.parametrize("text", ["  padded", "trailing ", "two\nlines", "a\u2028b", "x\x0cy"])
def test_text_the_macro_reflows_is_left_to_the_macro(text: str) -> None:
    for table in (Table("edge-3", "Caption", ["A"], [[Cell(text)]]),
                  Table("edge-4", text, ["A"], [[Cell("x")]]),
                  Table("edge-5", "Caption", [text], [[Cell("x")]])):
        assert table_html(table) is None
        fast, slow = _both(table)
        assert fast == slow
