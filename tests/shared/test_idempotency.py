"""Replays compare what the client sent, instants as instants, and ignore server-filled "now"."""

from shared.schemas.people import PersonCreate
from shared.services.idempotency import fingerprint, same_content

TIME = ("registered_at",)


def fp(**body: object) -> dict:
    return fingerprint(PersonCreate.model_validate(body), TIME)


def test_same_instant_in_other_offsets_is_same_content() -> None:
    a = fp(full_name="Ani", sex="P", registered_at="2026-01-01T07:00:00+07:00")
    b = fp(full_name="Ani", sex="P", registered_at="2026-01-01T00:00:00Z")
    assert same_content(a, b, TIME)


def test_omitted_time_default_never_differs() -> None:
    a = fp(full_name="Ani", sex="P")
    b = fp(full_name="Ani", sex="P", registered_at="2026-01-01T00:00:00Z")
    assert same_content(a, b, TIME) and same_content(b, a, TIME)


def test_explicit_default_equals_omitted() -> None:
    assert same_content(fp(full_name="Ani", sex="P"), fp(full_name="Ani", sex="P", condition="selamat"), TIME)


def test_other_content_differs() -> None:
    assert not same_content(fp(full_name="Ani", sex="P"), fp(full_name="Ana", sex="P"), TIME)
    assert not same_content(fp(full_name="Ani", sex="P"), fp(full_name="Ani", sex="P", needs_psychosocial=True), TIME)
