"""The tile map of the 42 ICBs: one square per ICB, laid out roughly as England is.

A choropleth of real boundaries makes London's five ICBs specks beside
Lincolnshire; a tile map gives every ICB the same weight, which suits figures per
ICB (a gap or a vacancy rate). The layout is the project's own, in
``codelists/icb_tiles.csv`` (``icb_code, row, col``; row 0 is the north, column 0
the west), drawn by hand from where each ICB lies: a wfplan choice, not a
published map. When a vintage holds the ONS ICB boundaries the dashboard draws
those instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from wfplan.dataset import codelists


@dataclass(frozen=True)
class Tile:
    """One ICB's square: its code, name, region, and grid position."""

    icb_code: str
    name: str
    region_code: str
    row: int
    col: int


@cache
def icb_tiles() -> tuple[Tile, ...]:
    """Return the tile of every ICB in the ICB code list, north to south, west to east.

    Raises
    ------
    ValueError
        If the tile file and the ICB code list disagree, or two ICBs share a tile
        (a packaging fault, checked by the tests).
    """
    icbs = codelists.get("icb")
    rows = codelists.read_csv("icb_tiles.csv")
    tiles = [Tile(icb_code=r["icb_code"], name=icbs.attribute(r["icb_code"], "name"),
                  region_code=icbs.attribute(r["icb_code"], "region_code"),
                  row=int(r["row"]), col=int(r["col"])) for r in rows]
    if sorted(t.icb_code for t in tiles) != sorted(icbs.codes):
        raise ValueError("icb_tiles.csv does not list exactly the ICBs of icbs.csv")
    if len({(t.row, t.col) for t in tiles}) != len(tiles):
        raise ValueError("icb_tiles.csv puts two ICBs on one tile")
    return tuple(sorted(tiles, key=lambda t: (t.row, t.col)))
