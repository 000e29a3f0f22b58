"""The unmet list a command post acts on (docs/api.md, "The unmet list"): the stored snapshot's unmet
persons with their reasons (computed by the worker, shared/needs/shortfalls.py), filtered, grouped by
where they stay (shelter; mandiri persons by kelurahan) and sorted, and for one page the names, ages
and household heads that tell namesakes apart.

Reading is cheap: filters, groups and the id / meal-days / services orders work on the snapshot alone;
only sorting by name or age reads the persons of the event (one query), and the page reads its own
persons and households.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import inf
from typing import Any

from sqlmodel import Session

from shared.domain.vulnerability import age_at
from shared.errors import Invalid
from shared.needs.model import SERVICES, VULNERABILITIES
from shared.reports.facts import Regions
from shared.repositories import unmet as repo
from shared.services.presenters import _age_months

SORTS = ("id", "name", "age", "meal_days", "services")


@dataclass(frozen=True)
class UnmetQuery:
    """Filters and order of the list; every filter is optional."""

    shelter_id: str | None = None
    kelurahan_code: str | None = None
    service: str | None = None
    vulnerability: str | None = None
    sort: str = "id"
    group_by_place: bool = False

    def check(self) -> None:
        """An unknown service, vulnerability or order is 422 naming the parameter (nothing is read)."""
        if self.service is not None and self.service not in SERVICES:
            raise Invalid(("query", "service"), f"layanan tidak dikenal; pilih salah satu: {', '.join(SERVICES)}")
        if self.vulnerability is not None and self.vulnerability not in VULNERABILITIES:
            raise Invalid(("query", "vulnerability"),
                               f"kerentanan tidak dikenal; pilih salah satu: {', '.join(VULNERABILITIES)}")
        if self.sort not in SORTS:
            raise Invalid(("query", "sort"), f"urutan tidak dikenal; pilih salah satu: {', '.join(SORTS)}")


def _place(u: dict[str, Any]) -> dict[str, Any] | None:
    return u.get("place")


def group_key(u: dict[str, Any]) -> tuple[str, str]:
    """("shelter", id), ("mandiri", kelurahan code or "") or ("none", "") for a snapshot without places."""
    place = _place(u)
    if place is None:
        return ("none", "")
    if place.get("shelter_id"):
        return ("shelter", place["shelter_id"])
    return ("mandiri", place.get("kelurahan_code") or "")


def _kelurahan_of(u: dict[str, Any], shelters: dict[str, repo.ShelterCard]) -> str | None:
    kind, key = group_key(u)
    if kind == "shelter":
        card = shelters.get(key)
        return card.kelurahan_code if card else None
    return key or None if kind == "mandiri" else None


def _matches(u: dict[str, Any], q: UnmetQuery, shelters: dict[str, repo.ShelterCard]) -> bool:
    if q.service is not None and q.service not in u["missing"]:
        return False
    if q.vulnerability is not None and q.vulnerability not in u.get("vulnerabilities", ()):
        return False
    if q.shelter_id is not None and group_key(u) != ("shelter", q.shelter_id):
        return False
    return q.kelurahan_code is None or _kelurahan_of(u, shelters) == q.kelurahan_code


def _group_name(kind: str, key: str, shelters: dict[str, repo.ShelterCard], regions: Regions) -> str:
    if kind == "shelter":
        card = shelters.get(key)
        return card.name if card else key
    if kind == "mandiri":
        return regions.name(key) or key or "Kelurahan tidak diketahui"
    return "Tempat tidak diketahui"


def _groups(entries: list[dict[str, Any]], shelters: dict[str, repo.ShelterCard],
            regions: Regions) -> tuple[list[dict[str, Any]], dict[tuple[str, str], int]]:
    """The groups with their totals (per service too), shelters first by name, then kelurahan of mandiri
    persons by name; and each group's rank."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for u in entries:
        k = group_key(u)
        g = totals.get(k)
        if g is None:
            kind, key = k
            g = totals[k] = {"key": f"{kind}:{key}", "kind": kind,
                             "shelter_id": key if kind == "shelter" else None,
                             "kelurahan_code": (shelters[key].kelurahan_code if key in shelters else None)
                             if kind == "shelter" else (key or None),
                             "name": _group_name(kind, key, shelters, regions), "total": 0,
                             "by_service": dict.fromkeys(SERVICES, 0)}
        g["total"] += 1
        for s in u["missing"]:
            g["by_service"][s] += 1
    kind_rank = {"shelter": 0, "mandiri": 1, "none": 2}
    ordered = sorted(totals.items(), key=lambda kv: (kind_rank[kv[0][0]], kv[1]["name"].casefold(), kv[0][1]))
    return [g for _, g in ordered], {k: i for i, (k, _) in enumerate(ordered)}


def unmet_groups(session: Session, event_id: str, stored: list[dict[str, Any]], q: UnmetQuery,
                 regions: Regions) -> dict[str, Any]:
    """`{total, groups}`: the filtered list's totals per place (and per service) without a single name:
    what a pengamat (or a wall screen) may see of the unmet list. The order filters are ignored."""
    shelters = repo.event_shelters(session, event_id)
    entries = [u for u in stored if _matches(u, q, shelters)]
    groups, _ = _groups(entries, shelters, regions)
    return {"total": len(entries), "groups": groups}


def _age(card: repo.PersonCard | None, start: date) -> int | None:
    return age_at(card.birth_date, card.age_years, start) if card else None


def unmet_page(session: Session, event_id: str, event_start: date, stored: list[dict[str, Any]], q: UnmetQuery,
               limit: int, offset: int, regions: Regions) -> dict[str, Any]:
    """`{items, total, limit, offset, groups}`: the filtered, ordered page with the persons' cards, and
    every group of the filtered list with its totals (the page may show only some of them)."""
    shelters = repo.event_shelters(session, event_id)
    entries = [u for u in stored if _matches(u, q, shelters)]
    groups, rank = _groups(entries, shelters, regions)
    cards: dict[str, repo.PersonCard] = {}
    if q.sort in ("name", "age"):
        cards = repo.event_person_cards(session, event_id)

    def order(u: dict[str, Any]) -> tuple[Any, ...]:
        pid = u["person_id"]
        if q.sort == "name":
            card = cards.get(pid)
            key: tuple[Any, ...] = ((card.full_name.casefold() if card else ""), pid)
        elif q.sort == "age":
            age = _age(cards.get(pid), event_start)
            key = (inf if age is None else age, pid)
        elif q.sort == "meal_days":
            key = (-u.get("meal_days_total", 0), pid)
        elif q.sort == "services":
            key = (-len(u["missing"]), pid)
        else:
            key = (pid,)
        return (rank[group_key(u)], *key) if q.group_by_place else key

    if q.sort != "id" or q.group_by_place:
        entries.sort(key=order)
    part = entries[offset:offset + limit]
    missing_cards = [u["person_id"] for u in part if u["person_id"] not in cards]
    if missing_cards:
        cards.update(repo.person_cards(session, missing_cards))
    heads = repo.household_heads(session, {c.household_id for c in cards.values()
                                           if c.household_id and c.id in {u["person_id"] for u in part}})
    items = [_item(u, cards.get(u["person_id"]), heads, shelters, regions, event_start) for u in part]
    return {"items": items, "total": len(entries), "limit": limit, "offset": offset, "groups": groups}


def _item(u: dict[str, Any], card: repo.PersonCard | None, heads: dict[str, str],
          shelters: dict[str, repo.ShelterCard], regions: Regions, start: date) -> dict[str, Any]:
    """One person of the page: the old fields (person_id, name, missing) and what tells namesakes apart
    and says why."""
    place = _place(u)
    shown_place = None
    if place is not None:
        sid = place.get("shelter_id")
        kel = shelters[sid].kelurahan_code if sid in shelters else place.get("kelurahan_code")
        shown_place = {"kind": place["kind"], "shelter_id": sid,
                       "shelter_name": shelters[sid].name if sid in shelters else None,
                       "kelurahan_code": kel, "kelurahan_name": regions.name(kel) or None, "open": place["open"]}
    kind, key = group_key(u)
    hid = card.household_id if card else None
    return {
        "person_id": u["person_id"],
        "name": card.full_name if card else None,
        "missing": u["missing"],
        "sex": card.sex if card else None,
        "age": _age(card, start),
        "age_months": _age_months(card.birth_date, start) if card else None,
        "household_id": hid,
        "household_head": heads.get(hid) if hid else None,
        "vulnerabilities": u.get("vulnerabilities", []),
        "place": shown_place,
        "group": f"{kind}:{key}",
        "meal_days": [{"date": d["date"], "shelter_id": d["shelter_id"],
                       "shelter_name": shelters[d["shelter_id"]].name if d["shelter_id"] in shelters else None}
                      for d in u.get("meal_days", [])],
        "meal_days_total": u.get("meal_days_total", 0),
        "items_missing": u.get("items_missing", []),
    }
