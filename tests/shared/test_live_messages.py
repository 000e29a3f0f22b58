"""shared/live_messages.py: the one status message the worker publishes and the live hub sends."""

from __future__ import annotations

import json

import pytest

from shared.live_messages import message_seq, status_message


def test_the_message_carries_type_event_seq_and_the_body_as_compact_json() -> None:
    body = {"seq": 7, "people": {"registered": 3}, "as_of": "2026-12-01T00:00:00+00:00"}
    text = status_message("ev-1", 7, body)
    assert json.loads(text) == {"type": "status", "event_id": "ev-1", "seq": 7, "data": body}
    assert ", " not in text and ": " not in text  # encoded once, as small as it goes


def test_the_seq_is_read_back_from_a_message() -> None:
    assert message_seq(status_message("ev-1", 12, {})) == 12
    assert message_seq('{"seq": "4"}') == 4  # a publisher's string seq is still a seq


@pytest.mark.parametrize("text", ["not json", "[]", "3", "{}", '{"seq": null}', '{"seq": "x"}'])
def test_anything_else_on_the_channel_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        message_seq(text)


def test_a_message_spliced_from_the_stored_body_text_is_the_same_message() -> None:
    body = {"seq": 9, "people": {"registered": 3}, "shelters": [{"name": "Masjid Raya — Binjai", "occupants": 2}]}
    from pydantic_core import to_json

    from shared.live_messages import status_message_from_text

    spliced = status_message_from_text("ev-1", 9, to_json(body).decode())  # as the database holds the column
    assert json.loads(spliced) == json.loads(status_message("ev-1", 9, body))
    assert message_seq(spliced) == 9


def test_the_seq_is_read_from_the_head_without_decoding_the_snapshot() -> None:
    text = status_message("ev-1", 41, {"seq": 41, "x": "y" * 100_000})
    assert message_seq(text) == 41
    assert message_seq(text[:200]) == 41  # the head alone says it: the body is not decoded
    # a message written otherwise (keys in another order, spaces) is still read, by decoding it
    assert message_seq('{"seq": 5, "type": "status", "event_id": "ev-1", "data": {}}') == 5
