"""Presence at meal times, counted fast (docs/rules.md, "Needs and the basic-needs indicator": a person
is present in shelter S at meal time t when one of their stays in S contains t; `present(S, t)`
counts distinct persons).

Used by the snapshot engine and by the daily series alike:

- The meal times of every local day up to `as_of` are laid out once as a sorted list of instants
  ("slots"). A stay becomes a half-open range of slot indices found by bisection.
- Stays of one person in one shelter are merged, so `present(S, t)` counts distinct persons; the
  merged ranges feed a per-shelter difference array whose running sum is `present(S, t)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

K = TypeVar("K")  # a shelter's key: its index in the engine, its id in the daily series


def meal_slots(first_day: date, last_day: date, meal_times: Sequence[time], tz: ZoneInfo,
               as_of_ts: float) -> tuple[list[float], list[int], list[float]]:
    """The meal-time instants from `first_day` through `last_day` (local) that are at or before `as_of`,
    sorted, with the index of the local day of each; and the instant each local day starts.

    Only meal times at or before `as_of` count (docs/rules.md, "Needs and the basic-needs indicator")."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    day_starts = [datetime.combine(d, time(0), tzinfo=tz).timestamp() for d in days]
    slots: list[tuple[float, int]] = []
    for di, d in enumerate(days):
        for mt in meal_times:
            ts = datetime.combine(d, mt.replace(tzinfo=None), tzinfo=tz).timestamp()
            if ts <= as_of_ts:
                slots.append((ts, di))
    slots.sort()
    return [s[0] for s in slots], [s[1] for s in slots], day_starts


def merge_slot_ranges(ranges: dict[tuple[int, K], list[tuple[int, int]]], n_slots: int
                      ) -> tuple[list[tuple[int, K, int, int]], dict[K, list[int]]]:
    """Merge each (person, shelter)'s meal-slot ranges [lo, hi) where they overlap or touch, and build
    per shelter a difference array over the slots (+1 where a merged range starts, -1 where it ends).

    Its running sum is `present(S, t)`; merging first counts a person once per meal time even when
    two of their stays in one shelter overlap there. Returns (person, shelter, lo, hi) per merged
    range and the arrays of the shelters that have any.
    """
    merged: list[tuple[int, K, int, int]] = []
    diff: dict[K, list[int]] = {}
    for (pi, key), lst in ranges.items():
        d = diff.get(key)
        if d is None:
            d = diff[key] = [0] * (n_slots + 1)
        if len(lst) == 1:  # most persons: one stay per shelter
            lo, hi = lst[0]
            d[lo] += 1
            d[hi] -= 1
            merged.append((pi, key, lo, hi))
            continue
        for lo, hi in merge_ranges(lst):
            d[lo] += 1
            d[hi] -= 1
            merged.append((pi, key, lo, hi))
    return merged, diff


def merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One person's slot ranges [lo, hi) in one place, merged where they overlap or touch, in order (a
    person is counted once per meal time however many of their stays contain it). Sorts `ranges`."""
    if len(ranges) <= 1:
        return ranges
    ranges.sort()
    merged = []
    cur_lo, cur_hi = ranges[0]
    for lo, hi in ranges[1:]:
        if lo <= cur_hi:
            if hi > cur_hi:
                cur_hi = hi
        else:
            merged.append((cur_lo, cur_hi))
            cur_lo, cur_hi = lo, hi
    merged.append((cur_lo, cur_hi))
    return merged


def presence_by_day(diff: list[int], slot_day: Sequence[int], n_days: int) -> list[int]:
    """Per day, Σ over its meal times of `present(S, t)`, from a shelter's difference array."""
    per_day = [0] * n_days
    running = 0
    for i, day in enumerate(slot_day):
        running += diff[i]
        if running:
            per_day[day] += running
    return per_day
