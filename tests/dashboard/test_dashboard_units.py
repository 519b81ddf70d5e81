"""The dashboard's pieces without a server: CSRF values, table formats, safe downloads."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

import pytest
from openpyxl import load_workbook

from wfplan.web.pages.api import PageError
from wfplan.web.pages.downloads import csv_bytes, xlsx_bytes
from wfplan.web.pages.session import Visitor, check_csrf, session_csrf
from wfplan.web.pages.tables import Cell, Table, position_table, shown

TOKEN = "wfp_0123abcd_" + "A" * 43


def _visitor(token: str | None, *, new: bool = False) -> Visitor:
    return Visitor(token, "u", "icb:QMJ" if token else "public", False, "c" * 43, new)


def test_the_session_csrf_is_the_hmac_of_csrf_keyed_by_the_token() -> None:
    expected = hmac.new(TOKEN.encode(), b"csrf", hashlib.sha256).hexdigest()
    assert session_csrf(TOKEN) == expected
    assert _visitor(TOKEN).csrf == expected
    assert _visitor(None).csrf == "c" * 43


def test_check_csrf_refuses_what_does_not_match() -> None:
    check_csrf(_visitor(TOKEN), session_csrf(TOKEN))
    check_csrf(_visitor(TOKEN), "c" * 43, login=True)
    check_csrf(_visitor(None), "c" * 43)
    for visitor, sent, login in [(_visitor(TOKEN), "c" * 43, False),
                                 (_visitor(TOKEN), None, False),
                                 (_visitor(None), session_csrf(TOKEN), False),
                                 (_visitor(None, new=True), "c" * 43, True),
                                 (_visitor(None), "", True)]:
        with pytest.raises(PageError) as refused:
            check_csrf(visitor, sent, login=login)
        assert refused.value.status == 403


def test_cells_show_as_the_report_does() -> None:
    assert shown(Cell(134697.0, "count")) == "134,697"
    assert shown(Cell(0.0732, "percent")) == "7.3%"
    assert shown(Cell(None, "percent")) == "n/a"
    assert shown(Cell(1242.06, "fte")) == "1,242.1"
    assert shown(Cell(None)) == ""


def test_the_position_table_names_sectors_and_keeps_the_apis_measures() -> None:
    metrics = {"current_position": [{"headcount": 10.0, "vacancy_rate": None}],
               "coverage": [{"metric": "headcount", "sectors": ["nhs_trust", "social_care"],
                             "period": "2025-03-31", "note": None},
                            {"metric": "vacancy_rate", "sectors": [], "period": None,
                             "note": "no vacancy data"}]}
    table = position_table("t", "c", metrics)
    assert [row[0].value for row in table.rows] == ["Staff in post (headcount)",
                                                    "Vacancy rate"]
    assert table.rows[0][2].value == "NHS trusts, Social care"
    assert table.rows[1][1].value is None


def test_downloads_keep_numbers_as_numbers_and_text_from_the_data_inert() -> None:
    table = Table("x", "Caption", ["Organisation", "Headcount", "Rate"], [
        [Cell("=HYPERLINK(\"http://evil\")"), Cell(12.0, "count"), Cell(0.25, "percent")],
        [Cell("-2+3"), Cell(None, "count"), Cell(-0.5, "percent")]])
    rows = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8"))))
    assert rows == [["Organisation", "Headcount", "Rate"],
                    ["'=HYPERLINK(\"http://evil\")", "12.0", "0.25"],
                    ["'-2+3", "", "-0.5"]]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(table))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Caption", None, None)
    assert values[2] == ("=HYPERLINK(\"http://evil\")", 12, 0.25)
    assert sheet.cell(3, 1).data_type == "s"  # text, not a formula
    assert sheet.cell(3, 3).number_format == "0.0%"
    assert values[3] == ("-2+3", None, -0.5)
