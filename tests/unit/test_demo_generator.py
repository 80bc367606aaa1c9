"""The demo town's generator computes its block grid once, with byte-identical output."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.demo.generator import DemoTown


@pytest.mark.parametrize("parcels", [300, 1200])
def test_memoised_grid_writes_the_same_bytes(tmp_path: Path, monkeypatch, parcels: int) -> None:
    memoised = DemoTown(parcels=parcels).write_gml(tmp_path / "memo.gml").read_bytes()
    calls = []
    uncached = DemoTown.compute_grid

    def counted(self: DemoTown) -> tuple[int, int]:
        calls.append(1)
        return uncached(self)

    monkeypatch.setattr(DemoTown, "compute_grid", counted)
    DemoTown(parcels=parcels).write_gml(tmp_path / "counted.gml")
    assert len(calls) == 1  # once per town, not once per plot
    monkeypatch.setattr(DemoTown, "grid", counted)  # the grid recomputed at every call
    fresh = DemoTown(parcels=parcels).write_gml(tmp_path / "fresh.gml").read_bytes()
    assert len(calls) > 100
    assert memoised == fresh and len(memoised) > 100_000


def test_the_memo_follows_the_number_of_plots() -> None:
    town = DemoTown(parcels=300)
    small = town.grid()
    town.parcels = 3000
    assert town.grid() == DemoTown(parcels=3000).compute_grid() and town.grid() != small
