"""Plain data the needs engine works on: no ORM objects, no I/O.

The recompute job (services/worker/jobs.py) loads these with set-based queries; reports and tests
build them directly. An instant is an aware datetime (UTC or any zone; naive means UTC) or POSIX
seconds as a float, exactly what `datetime.timestamp()` gives: the loader reads instants as seconds
(shared.db.instant_seconds), so that 170,000 rows of a large event become no datetime objects. Local days
and meal times are taken in the `tz` handed to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, NamedTuple

Instant = datetime | float  # an aware datetime, or POSIX seconds (see the module docstring)

SERVICES = ("permakanan", "sandang", "tempat_penampungan", "penanganan_khusus", "psikososial")
VULNERABILITIES = ("balita", "lansia", "ibu_hamil", "ibu_menyusui", "disabilitas", "terpisah", "tanpa_pendamping")


def seconds(value: Instant) -> float:
    """POSIX seconds of an instant: a datetime exactly as `timestamp()` gives them (naive means UTC), a
    number as it is."""
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


@dataclass(frozen=True)
class ItemRule:
    """One item of a standard profile (needs_profiles.json)."""

    code: str
    unit: str
    basis: str  # per_person_day | per_person_once | per_household_once | per_vulnerable_once
    rate: float
    service: str | None = None  # permakanan | sandang | None
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A version of a needs-standard profile."""

    code: str
    version: int
    meal_times: tuple[time, ...]
    items: tuple[ItemRule, ...]
    covered_area_m2_per_person: float
    persons_per_toilet: float

    @classmethod
    def from_body(cls, code: str, version: int, body: dict[str, Any]) -> Profile:
        """Build from the stored JSON body (the shape of needs_profiles.json)."""
        times = tuple(time.fromisoformat(t) for t in body["meal_times_local"])
        items = tuple(
            ItemRule(code=i["code"], unit=i["unit"], basis=i["basis"], rate=float(i["rate"]),
                     service=i.get("service"), applies_to=tuple(i.get("applies_to") or ()))
            for i in body["items"]
        )
        std = body["shelter_standards"]
        return cls(code=code, version=version, meal_times=times, items=items,
                   covered_area_m2_per_person=float(std["covered_area_m2_per_person"]),
                   persons_per_toilet=float(std["persons_per_toilet"]))

    def item_for(self, service: str) -> ItemRule | None:
        """The item that serves an SPM service (permakanan, sandang), if the profile has one."""
        return next((i for i in self.items if i.service == service), None)


@dataclass(frozen=True, slots=True)
class EventIn:
    id: str
    started_at: datetime
    standard_code: str
    data_seq: int
    target_percent: float | None = 100.0


# The inputs a large event has by the ten thousand (persons, stays, deliveries, services) are named
# tuples: immutable like the frozen dataclasses around them, and built three times faster (a frozen
# dataclass sets each field through object.__setattr__: ~0.1 µs a field, 170,000 times a recompute).
# Copy one with `_replace`.


class PersonIn(NamedTuple):
    """A person; `vulnerabilities` is the effective set (balita/lansia already derived)."""

    id: str
    household_id: str | None
    sex: str
    condition: str  # selamat | luka | hilang | meninggal
    vulnerabilities: frozenset[str] = frozenset()
    needs_psychosocial: bool = False
    registered_at: Instant | None = None  # household order for sandang: registered_at, then id


@dataclass(frozen=True, slots=True)
class ShelterIn:
    id: str
    name: str
    capacity_persons: int
    covered_area_m2: float | None = None
    toilets: int | None = None
    kelurahan_code: str | None = None  # where it is (people per kelurahan; the rules do not look)


class StayIn(NamedTuple):
    """[check_in, check_out); check_out None = still open. `shelter_id` None is a mandiri stay
    (docs/rules.md, "Mandiri stays": displaced outside the shelters, with relatives or elsewhere)."""

    person_id: str
    shelter_id: str | None
    check_in: Instant
    check_out: Instant | None = None
    kelurahan_code: str | None = None  # where a mandiri stay is (reports count per kelurahan; rules do not)


class DeliveryIn(NamedTuple):
    """A quantity of an item delivered at an instant. May stand for several distributions summed,
    as long as all of them fall in the same local day and none after `as_of` (the loader groups
    that way)."""

    item_code: str
    quantity: float
    delivered_at: Instant
    shelter_id: str | None = None
    person_id: str | None = None
    household_id: str | None = None


class ServiceIn(NamedTuple):
    person_id: str
    kind: str  # penanganan_khusus | psikososial
    delivered_at: Instant


@dataclass
class NeedsInputs:
    """Everything the engine reads for one event at one `as_of` (loaded by
    shared/repositories/needs_inputs.py, built directly by tests)."""

    event: EventIn
    profile: Profile
    persons: list[PersonIn]
    shelters: list[ShelterIn]
    stays: list[StayIn]
    deliveries: list[DeliveryIn]
    services: list[ServiceIn]
    totals: str = "ok"  # delivery_totals.check() / read_checked(): "stale" means they should be recounted;
    # "from_scratch": not read at all (the verifier's reference computation)
    # today's permakanan deliveries to shelters, one per distribution: (shelter id, POSIX seconds, quantity),
    # for the per-meal-time split of a shelter's day (shared/needs/shortfalls.py); None: read from `deliveries`
    today_meals: list[tuple[str, float, float]] | None = None
    stock_totals: str = "ok"  # shared/repositories/stock_totals.py: "stale" means they should be recounted
    # ("from_scratch": not read, the ledger lines were summed)
