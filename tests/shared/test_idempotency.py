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


def _input_models() -> list[type]:
    import shared.schemas  # noqa: F401  (every schema module registers its models)
    from shared.schemas.common import Input

    seen, todo = [], list(Input.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_fields_left_out_of_a_fingerprint_are_real_fields_at_their_real_defaults() -> None:
    """A name or default typed wrong in FINGERPRINT_OMIT_DEFAULTS would silently keep the field in the
    fingerprint (and a record queued before it existed would be refused as other content)."""
    checked = 0
    for cls in _input_models():
        for name, default in cls.FINGERPRINT_OMIT_DEFAULTS.items():
            assert name in cls.model_fields, (cls.__name__, name)
            assert cls.model_fields[name].get_default(call_default_factory=True) == default, (cls.__name__, name)
            checked += 1
    assert checked >= 5


def test_a_distribution_queued_before_stock_existed_keeps_its_fingerprint() -> None:
    from shared.schemas.people import DistributionCreate
    from shared.services.idempotency import content

    body = {"item_code": "beras", "quantity": 2.5, "shelter_id": "s1"}
    old = {"item_code": "beras", "quantity": 2.5, "delivered_at": None, "shelter_id": "s1", "person_id": None,
           "household_id": None, "notes": None}  # the content before source_location_id existed
    assert content(DistributionCreate.model_validate(body), ("delivered_at",)) == old
    sourced = content(DistributionCreate.model_validate({**body, "source_location_id": "g1"}), ("delivered_at",))
    assert sourced == {**old, "source_location_id": "g1"}
