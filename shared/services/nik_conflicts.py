"""The answer to a second registration of a NIK: who is already registered, for those who may know.

Why: a volunteer whose record is refused with only an id can do nothing but clear the NIK, and that
is how duplicates got in. Naming the person already registered (their family, shelter and event)
lets the field app offer "orang yang sama": check that person in here, move them here or add them to
this family. Roles that may not see names (docs/personal-data.md) learn only that the NIK is taken;
the NIK itself is never repeated (the sender typed it).
"""

from __future__ import annotations

from typing import Any

from shared.domain.access import Actor, can_see_names
from shared.errors import ConflictWithExisting

NIK_TAKEN = "NIK sudah terdaftar di kejadian ini (a person with this NIK is already registered in this event)"


def nik_taken(actor: Actor, existing: dict[str, Any] | None) -> ConflictWithExisting:
    """The conflict to raise; `existing` as `shared.repositories.nik_conflicts.existing_person` gives it."""
    if existing is None or not can_see_names(actor):
        return ConflictWithExisting(NIK_TAKEN, None)
    where = []
    if existing.get("household_head_name"):
        where.append(f"keluarga {existing['household_head_name']}")
    where.append(existing["shelter_name"] if existing.get("shelter_name") else "tidak di tempat penampungan")
    message = (f"NIK sudah terdaftar di kejadian ini atas nama {existing['full_name']} ({', '.join(where)}); "
               "bila orang yang sama, pilih check-in, pindahkan, atau tambahkan ke keluarga ini "
               "(a person with this NIK is already registered in this event: if it is the same person, "
               "check them in, move them or add them to this family)")
    return ConflictWithExisting(message, existing)
