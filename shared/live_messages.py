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
from typing import Any


def status_message(event_id: str, seq: int, body: dict[str, Any]) -> str:
    """The JSON text announcing snapshot `seq` of `event_id`; encoded once, sent as is to every client."""
    return json.dumps({"type": "status", "event_id": event_id, "seq": seq, "data": body}, separators=(",", ":"))


def message_seq(text: str) -> int:
    """The seq of a status message; ValueError if `text` is not one (Redis carries whatever was published)."""
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
