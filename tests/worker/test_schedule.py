"""Meal times and local midnight are the moments the clock alone changes an event's status."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from services.worker.schedule import next_boundary

WIB = ZoneInfo("Asia/Jakarta")
MEALS = [time(7), time(12), time(18)]


def at(h: int, m: int = 0, day: int = 10) -> datetime:
    return datetime(2026, 3, day, h, m, tzinfo=WIB)


def test_next_meal_time_today() -> None:
    assert next_boundary(at(6, 59), MEALS) == (at(7), False)
    assert next_boundary(at(7), MEALS) == (at(12), False)  # strictly after now
    assert next_boundary(at(12, 30), MEALS) == (at(18), False)


def test_midnight_after_the_last_meal() -> None:
    assert next_boundary(at(18, 0), MEALS) == (at(0, day=11), True)
    assert next_boundary(at(23, 59), MEALS) == (at(0, day=11), True)


def test_first_meal_after_midnight() -> None:
    assert next_boundary(at(0, 0), MEALS) == (at(7), False)


def test_edited_profiles_add_their_meal_times() -> None:
    assert next_boundary(at(8), [*MEALS, time(9, 30)]) == (at(9, 30), False)
