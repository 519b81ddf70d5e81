"""The ICB tile map: every ICB once, one per tile, and England's rough shape."""

from __future__ import annotations

from statistics import mean

from wfplan.dataset import codelists
from wfplan.dataset.tilemap import icb_tiles


def test_every_icb_has_its_own_tile() -> None:
    tiles = icb_tiles()
    assert sorted(t.icb_code for t in tiles) == sorted(codelists.get("icb").codes)
    assert len(tiles) == 42
    assert len({(t.row, t.col) for t in tiles}) == 42
    assert {t.region_code for t in tiles} == set(codelists.get("region").codes)


def test_the_layout_follows_the_map_of_england() -> None:
    tiles = icb_tiles()

    def centre(region: str) -> tuple[float, float]:
        mine = [t for t in tiles if t.region_code == region]
        return mean(t.row for t in mine), mean(t.col for t in mine)

    north_east, north_west = centre("Y63"), centre("Y62")
    midlands, east, london = centre("Y60"), centre("Y61"), centre("Y56")
    south_west, south_east = centre("Y58"), centre("Y59")
    assert north_east[0] < midlands[0] < london[0] < south_east[0] + 0.5
    assert north_west[0] < midlands[0]
    assert north_west[1] < north_east[1]
    assert south_west[1] < london[1] < east[1] + 1
    assert south_west[1] < south_east[1]
    by_code = {t.icb_code: t for t in tiles}
    assert by_code["QT6"].col == min(t.col for t in tiles)  # Cornwall furthest west
    assert by_code["QHM"].row == min(t.row for t in tiles)  # the North East furthest north
    assert by_code["QMM"].col == max(t.col for t in tiles)  # Norfolk on the east coast
