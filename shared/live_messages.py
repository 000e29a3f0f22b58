"""The status message of the live channel, built and read in this one place.

A stored snapshot reaches clients by two roads: the worker publishes it on the event's Redis channel
after storing it (services/worker/jobs.py::publish), and the API's live hub sends the stored one to a
client that has just connected or missed messages while Redis was away (services/api/live/). Both
build the message here, so a client cannot tell which road it came by, and the hub reads the seq of a
published message here too.

The message is `{"type": "status", "event_id", "seq", "data"}` as compact JSON; `data` is the public
snapshot body (shared/services/status.py::public), already plain JSON (the engine renders figures as
numbers and instants as ISO strings).
"""

from __future__ import annotations

import json
import re
from typing import Any

# The head of every message `status_message` writes: the seq is read from it without decoding the
# snapshot behind it (tens of kilobytes, or more, decoded once per publication per API process only to
# learn a number). Anything else on the channel is decoded as before.
_HEAD = re.compile(r'\{"type":"status","event_id":"[^"\\]*","seq":(\d+),')


def status_message(event_id: str, seq: int, body: dict[str, Any]) -> str:
    """The JSON text announcing snapshot `seq` of `event_id`; encoded once, sent as is to every client."""
    return status_message_from_text(event_id, seq, json.dumps(body, separators=(",", ":")))


def status_message_from_text(event_id: str, seq: int, body_text: str) -> str:
    """`status_message` for a body that is already JSON text (the stored snapshot as the database holds
    it): the same message, spliced rather than decoded and encoded again — a client connecting reads the
    stored snapshot, and at ten connects a second the decode was most of the work and garbage of the
    websocket route. `body_text` must be one JSON object (the stored column always is)."""
    return ('{"type":"status","event_id":' + json.dumps(event_id) + ',"seq":' + str(int(seq)) + ',"data":'
            + body_text + "}")


def message_seq(text: str) -> int:
    """The seq of a status message; ValueError if `text` is not one (Redis carries whatever was published)."""
    head = _HEAD.match(text, 0, 200)
    if head is not None:
        return int(head.group(1))
    try:
        return int(json.loads(text)["seq"])
    except (KeyError, TypeError) as exc:  # not an object, or no seq
        raise ValueError("not a status message") from exc


def tracing_message(event_id: str, request_id: str, status: str) -> str:
    """The JSON text announcing a new strong tracing match concerning `event_id` (the sought person is
    registered there, or the request was filed there): `{"type": "tracing", "event_id", "request_id",
    "status"}`. No name rides on it (pengamat may watch the channel): the dashboard reads the request
    through the API, which applies the roles."""
    return json.dumps({"type": "tracing", "event_id": event_id, "request_id": request_id, "status": status},
                      separators=(",", ":"))


def is_tracing_message(text: str) -> bool:
    """True for a tracing notice (it carries no seq: it is news, not state)."""
    return text.startswith('{"type":"tracing"')
