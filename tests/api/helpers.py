"""Helpers of the API resource tests (auth, users, members, reference, events, health): 422 field names,
bearer headers, unique names, an event created through the API, a second app on the same database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from services.api.main import create_app
from shared.config import Settings
from tests.conftest import (
    Api,
    event_body,
    make_settings,
)


def locs(response: httpx.Response) -> list[list[Any]]:
    """The `loc` of every validation error in a 422 answer (FastAPI's shape)."""
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for d in detail:
        assert {"loc", "msg", "type"} <= set(d), d
    return [d["loc"] for d in detail]


def names_field(response: httpx.Response, field: str) -> bool:
    return any(field in loc for loc in locs(response))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_event(api: Api, **over: Any) -> httpx.Response:
    r = api.post("/events", json=event_body(**over))
    assert r.status_code == 201, r.text
    return r


@contextmanager
def side_app(settings: Settings, **over: Any) -> Iterator[tuple[Any, TestClient]]:
    """A second app on the same database with its own Redis key prefix (a fresh login counter)."""
    app = create_app(make_settings(settings.database_url, **over))
    with TestClient(app) as c:
        yield app, c
