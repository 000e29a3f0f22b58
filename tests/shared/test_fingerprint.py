"""The stored replay record is a fingerprint: no readable content, same answers as comparing the content."""

from __future__ import annotations

import json

from shared.schemas.people import PersonCreate
from shared.services.field_records import TIME_DEFAULTS
from shared.services.idempotency import content, fingerprint, is_sealed, same_content, seal

BODY = {"full_name": "Siti Aminah Nasution", "sex": "P", "birth_date": "1985-05-12", "nik": "1275045205850001",
        "vulnerabilities": ["disabilitas"], "registered_at": "2026-01-01T07:00:00+07:00"}


def person(**over: object) -> PersonCreate:
    return PersonCreate.model_validate({**BODY, **over})


def test_the_fingerprint_holds_no_name_nik_or_date() -> None:
    stored = fingerprint(person(), TIME_DEFAULTS)
    text = json.dumps(stored)
    for secret in ("Siti", "Nasution", "1275045205850001", "1985", "disabilitas", "2026-01-01"):
        assert secret not in text, secret
    assert is_sealed(stored) and set(stored) == {"fp", "h", "t"}


def test_key_order_does_not_change_the_fingerprint() -> None:
    plain = content(person(), TIME_DEFAULTS)
    reordered = dict(reversed(list(plain.items())))
    assert seal(plain, TIME_DEFAULTS) == seal(reordered, TIME_DEFAULTS)


def test_rows_stored_before_fingerprints_compare_with_new_requests() -> None:
    legacy = content(person(), TIME_DEFAULTS)  # what the old code stored
    assert same_content(legacy, fingerprint(person(registered_at="2026-01-01T00:00:00Z"), TIME_DEFAULTS), TIME_DEFAULTS)
    assert not same_content(legacy, fingerprint(person(nik="1275045205850002"), TIME_DEFAULTS), TIME_DEFAULTS)


def test_a_sent_time_differs_only_from_another_sent_time() -> None:
    sent = fingerprint(person(), TIME_DEFAULTS)
    omitted = fingerprint(PersonCreate.model_validate({k: v for k, v in BODY.items() if k != "registered_at"}),
                          TIME_DEFAULTS)
    later = fingerprint(person(registered_at="2026-01-01T08:00:00+07:00"), TIME_DEFAULTS)
    assert same_content(sent, omitted, TIME_DEFAULTS) and same_content(omitted, later, TIME_DEFAULTS)
    assert not same_content(sent, later, TIME_DEFAULTS)
