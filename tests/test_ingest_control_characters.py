"""Control characters: refused in codes, removed from names with a warning.

Before, ``R\\x00AA`` loaded as a new, unmapped organisation, and names kept NUL
bytes and tabs without a word. The rule is applied once, in the validation
layer, to the distinct values of every text column, whatever the importer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wfplan.dataset import schema
from wfplan.dataset.schema import Check, TableSpec
from wfplan.dataset.validate import ChunkValidator

if TYPE_CHECKING:
    from conftest import Kit

REFUSED = ("holds a control character (rule: no control characters in codes: a code with an "
           "invisible character is a different code, e.g. a new organisation)")
ORGS = "org_code,name,org_type,sector,icb_code,region_code\n"


def _orgs(kit: Kit, base_db: Path) -> pd.DataFrame:
    return kit.read_back(base_db, "SELECT org_code FROM organisations ORDER BY org_code")


@pytest.mark.parametrize(("code", "shown"), [("R\x00EE", "'R\\x00EE'"), ("R\x01EE", "'R\\x01EE'"),
                                             ("R\tEE", "'R\\tEE'"), ("RE\x7fE", "'RE\\x7fE'"),
                                             ("RE\x9bE", "'RE\\x9bE'")])
def test_a_control_character_in_an_organisation_code_is_refused(kit: Kit, base_db: Path,
                                                                code: str, shown: str) -> None:
    lines = kit.sip_lines(2, org="RBB")
    lines[1] = lines[1].replace("RBB", code, 1)
    message = kit.refused(base_db, kit.sip_file("nul.csv", lines))
    assert f"nul.csv, row 2 (line 3), column 'org_code': value {shown}: {REFUSED}" in message
    assert "1 error in the input" in message


def test_a_nul_code_never_becomes_a_new_organisation(kit: Kit, base_db: Path) -> None:
    before = _orgs(kit, base_db)
    path = kit.write(kit.tmp_path / "orgs.csv", ORGS + "R\x00EE,Trust E,Acute,nhs_trust,,\n")
    message = kit.refused(base_db, path)
    assert f"column 'org_code': value 'R\\x00EE': {REFUSED}" in message
    assert _orgs(kit, base_db).equals(before)


def test_a_control_character_in_a_code_list_column_is_refused(kit: Kit, base_db: Path) -> None:
    lines = kit.sip_lines(1, org="RBB")
    lines[0] = lines[0].replace("hchs_doctors", "hchs_\x00doctors")
    message = kit.refused(base_db, kit.sip_file("group.csv", lines))
    assert f"column 'staff_group': value 'hchs_\\x00doctors': {REFUSED}" in message


def test_a_control_character_in_a_key_without_a_code_list_is_refused(kit: Kit,
                                                                     base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "survey.csv",
                     "year,org_code,indicator,value\n2024,RAA,burned\x1f_out,0.3\n")
    message = kit.refused(base_db, path)
    assert f"column 'indicator': value 'burned\\x1f_out': {REFUSED}" in message


def test_spaces_around_a_code_are_still_trimmed_not_refused(kit: Kit, base_db: Path) -> None:
    lines = kit.sip_lines(1, org="RBB")
    lines[0] = lines[0].replace("RBB", '" RBB\t"', 1)
    kit.loaded(base_db, kit.sip_file("spaces.csv", lines))
    stored = kit.read_back(base_db, "SELECT DISTINCT org_code FROM staff_in_post "
                                    "WHERE org_code LIKE '%RBB%'")
    assert stored["org_code"].tolist() == ["RBB"]


def test_control_characters_in_names_are_removed_with_a_warning(kit: Kit,
                                                              base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "names.csv", ORGS + (
        "REE,St\x00 Mary\tHospital,Acute\x07,nhs_trust,QMJ,Y56\n"
        "RFF,Trust F\r\x00,Acute,nhs_trust,QMJ,Y56\n"
        "RGG,Trust G,Acute,nhs_trust,QMJ,Y56\n").replace("\r", "\x0b"))
    result = kit.loaded(base_db, path)
    shown = kit.plain(result.stderr)
    assert ("names.csv, row 1 (line 2), column 'name': value 'St\\x00 Mary\\tHospital': holds "
            "control characters; they were removed (a tab or line break became a space) (rule: "
            "strip_controls: a name holds no control characters); 2 rows like this") in shown
    assert "column 'org_type': value 'Acute\\x07': holds control characters" in shown
    stored = kit.read_back(base_db, "SELECT org_code, name, org_type FROM organisations "
                                    "WHERE org_code IN ('REE', 'RFF', 'RGG') ORDER BY 1")
    assert stored.to_dict("list") == {"org_code": ["REE", "RFF", "RGG"],
                                      "name": ["St Mary Hospital", "Trust F", "Trust G"],
                                      "org_type": ["Acute", "Acute", "Acute"]}


def test_a_publication_with_a_nul_organisation_code_is_refused(kit: Kit, base_db: Path) -> None:
    sickness = kit.write(kit.tmp_path / "sickness.csv", (
        "DATE,ORG_CODE,ORG_NAME,ORG_TYPE,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE\n"
        "30/04/2024,RAA,Trust A,Acute,10,200\n30/04/2024,R\x00BB,Trust B,Acute,10,200\n"))
    message = kit.refused(base_db, sickness)
    assert f"sickness.csv, row 2 (line 3), column 'org_code': value 'R\\x00BB': {REFUSED}" \
        in message


def test_a_tidy_parquet_file_with_a_nul_code_is_refused(kit: Kit, base_db: Path) -> None:
    table = pa.table({"period": ["2024-03"], "org_code": ["R\x00BB"],
                      "staff_group": ["managers"], "headcount": [3], "fte": [3.0]})
    path = kit.tmp_path / "nul.parquet"
    pq.write_table(table, path)
    message = kit.refused(base_db, path)
    assert f"nul.parquet, row 1, column 'org_code': value 'R\\x00BB': {REFUSED}" in message


def test_a_name_column_whose_check_is_an_error_refuses_control_characters() -> None:
    spec = schema.table("organisations")
    strict = TableSpec(spec.name, tuple(
        type(c)(**{**c.__dict__, "checks": (Check.parse("strip_controls!"),)})
        if c.name == "name" else c for c in spec.columns))
    chunk = pd.DataFrame({"org_code": ["RAA"], "name": ["Trust\x00 A"], "sector": ["nhs_trust"]},
                         dtype="string[pyarrow]", index=pd.RangeIndex(1, 2))
    result = ChunkValidator(strict, "f.csv", {}).validate(chunk)
    assert result.frame is None
    assert [str(e) for e in result.errors] == [
        "f.csv, row 1, column 'name': value 'Trust\\x00 A': holds control characters (rule: "
        "strip_controls: a name holds no control characters)"]
