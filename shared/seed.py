"""Reference data shipped with Posko: Binjai's regions, the needs profiles and their items.

Seeding is idempotent: rows that exist are left as they are (an admin may have edited them).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from shared.db import Database, write_unit
from shared.models import Item, ItemKitComponent, ItemUnit, Region, RenstraTarget, StandardProfile

DATA = Path(__file__).resolve().parent / "data"


@lru_cache
def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def region_rows(wilayah: dict[str, Any]) -> list[Region]:
    """Flatten the wilayah tree into one row per region with its parent's code."""
    prov, kota = wilayah["provinsi"], wilayah["kabupaten_kota"]
    rows = [
        Region(code=prov["code"], name=prov["name"], level="provinsi"),
        Region(code=kota["code"], name=kota["name"], level="kabupaten_kota", parent_code=prov["code"]),
    ]
    for kec in wilayah["kecamatan"]:
        rows.append(Region(code=kec["code"], name=kec["name"], level="kecamatan", parent_code=kota["code"]))
        for kel in kec["kelurahan"]:
            rows.append(Region(code=kel["code"], name=kel["name"], level="kelurahan", parent_code=kec["code"]))
    return rows


def catalogue_items(profiles: dict[str, Any]) -> list[Item]:
    """The union of every profile's items (first profile's wording wins) plus the extra items."""
    seen: dict[str, Item] = {}
    for profile in profiles["profiles"]:
        for item in profile["items"]:
            seen.setdefault(item["code"], Item(code=item["code"], name=item["name"], unit=item["unit"]))
    for item in profiles.get("extra_items", []):
        seen.setdefault(item["code"], Item(code=item["code"], name=item["name"], unit=item["unit"]))
    return list(seen.values())


def profile_body(profile: dict[str, Any]) -> dict[str, Any]:
    keys = ("code", "name", "meal_times_local", "items", "services", "shelter_standards")
    return {k: profile[k] for k in keys if k in profile}


def seed_reference(db: Database) -> None:
    """Insert whatever reference rows are missing."""
    profiles = load_json("needs_profiles.json")
    with write_unit(db) as uow:
        s = uow.session
        have_regions = set(s.exec(select(Region.code)).all())
        s.add_all([r for r in region_rows(load_json("wilayah_binjai.json")) if r.code not in have_regions])
        have_items = set(s.exec(select(Item.code)).all())
        s.add_all([i for i in catalogue_items(profiles) if i.code not in have_items])
        s.flush()
        seed_stock_units(s)
        have_profiles = set(s.exec(select(StandardProfile.code)).all())
        for p in profiles["profiles"]:
            if p["code"] not in have_profiles:
                s.add(StandardProfile(code=p["code"], version=1, name=p["name"], body=profile_body(p),
                                      is_default=p["code"] == profiles["default_profile"]))
        s.add_all(missing_renstra_targets(set(s.exec(select(RenstraTarget.year, RenstraTarget.indicator_code)).all())))


def seed_stock_units(s: Session) -> None:
    """The logistics items, packaging units and kits of stock_units.json that are missing."""
    data = load_json("stock_units.json")
    have_items = set(s.exec(select(Item.code)).all())
    s.add_all([Item(code=i["code"], name=i["name"], unit=i["unit"]) for i in data["items"] if i["code"] not in have_items])
    s.flush()
    have_units = set(s.exec(select(ItemUnit.item_code, ItemUnit.unit)).all())
    s.add_all([ItemUnit(**u) for u in data["units"] if (u["item_code"], u["unit"]) not in have_units])
    have_kits = set(s.exec(select(ItemKitComponent.kit_code)).all())
    s.add_all([ItemKitComponent(kit_code=k["kit_code"], **c) for k in data["kits"] if k["kit_code"] not in have_kits
               for c in k["contents"]])


def renstra_target_rows(renstra: dict[str, Any]) -> list[RenstraTarget]:
    """One row per (year, indicator) that has a target or a pagu in the Renstra file."""
    rows = []
    for indicator in renstra["indicators"]:
        targets, pagu = indicator.get("targets", {}), indicator.get("pagu", {})
        for year in sorted(set(targets) | set(pagu), key=int):
            rows.append(RenstraTarget(year=int(year), indicator_code=indicator["code"], target=targets.get(year),
                                      pagu=pagu.get(year)))
    return rows


def missing_renstra_targets(have: set[tuple[int, str]]) -> list[RenstraTarget]:
    """Seeded Renstra targets/pagu whose (year, indicator) row is missing; edited rows are left alone."""
    return [r for r in renstra_target_rows(load_json("renstra_penanganan_bencana.json"))
            if (r.year, r.indicator_code) not in have]
