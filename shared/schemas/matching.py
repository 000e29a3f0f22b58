"""The answer of GET /persons/matches (find before register)."""

from __future__ import annotations

from datetime import date

from shared.schemas.common import Output


class PersonMatch(Output):
    """A registered person who is probably the one being typed in, with how sure and why.

    `reasons` are from "nik", "nik_birth_sex", "name_fuzzy", "name_phonetic", "birth_date", "kelurahan";
    `kelurahan_code` is the household's, else the current shelter's. No NIK: the contract shows none."""

    person_id: str
    event_id: str
    full_name: str
    birth_date: date | None
    sex: str | None
    household_id: str | None
    shelter_id: str | None
    shelter_name: str | None
    kelurahan_code: str | None
    score: float
    reasons: list[str]
