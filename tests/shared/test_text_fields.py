"""No text field of any request model is left without the control-character check.

The check is implemented once, as the text types of shared/schemas/common.py; this walks every
request body model the API accepts (and the models nested in them, and the /sync record schemas)
and sends NUL into every field that takes text, so a field added later with a bare `str` fails here
instead of reaching PostgreSQL (which refuses NUL: a 500).
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

import pytest
from fastapi import params
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings

from services.api.routes import (
    auth,
    event_reports,
    events,
    health,
    logistics,
    people,
    reference,
    renstra,
    shelters,
    status,
    sync,
    users,
)
from shared.schemas.sync import SYNC_SCHEMAS

ROUTERS = (auth, users, reference, events, shelters, people, logistics, sync, status, event_reports, renstra, health)


def _models_in(annotation: Any) -> set[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        found = {annotation}
        for f in annotation.model_fields.values():
            found |= _models_in(f.annotation)
        return found
    out: set[type[BaseModel]] = set()
    for arg in typing.get_args(annotation):
        out |= _models_in(arg)
    return out


def request_models() -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set(SYNC_SCHEMAS.values())
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute):
                hints = typing.get_type_hints(route.endpoint, include_extras=True)
                for name, hint in hints.items():
                    # what a dependency returns (VisibleEvent: the stored Event) is no input
                    if name != "return" and not any(isinstance(m, params.Depends) for m in getattr(hint, "__metadata__", ())):
                        found |= _models_in(hint)
    return {m for m in found for m in _models_in(m) if not issubclass(m, BaseSettings)}  # SettingsDep is no input


def _bad_text(annotation: Any) -> Any:
    """A value of the field's shape with NUL in its text, or None when the field takes no text."""
    origin = typing.get_origin(annotation)
    if annotation is str:
        return "a\x00b"
    if origin is typing.Annotated:
        return _bad_text(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            bad = _bad_text(arg)
            if bad is not None:
                return bad
        return None
    if origin is list:
        inner = _bad_text(typing.get_args(annotation)[0])
        return None if inner is None else [inner]
    if origin is dict:
        args = typing.get_args(annotation)
        return {"kunci": "a\x00b"} if args and args[1] in (Any, str) else None
    return None


CASES = sorted(((model, name, bad) for model in request_models() for name, f in model.model_fields.items()
                if (bad := _bad_text(f.annotation)) is not None),
               key=lambda c: (c[0].__name__, c[1]))


def test_every_request_model_is_found() -> None:
    names = {m.__name__ for m in request_models()}
    assert {"PersonCreate", "PersonUpdate", "EventCreate", "DistributionCreate", "StandardProfileIn", "ItemRule",
            "UserCreate", "TargetIn", "SyncPerson"} <= names, names
    assert len(CASES) > 40


@pytest.mark.parametrize(("model", "name", "bad"), CASES, ids=[f"{m.__name__}.{n}" for m, n, _ in CASES])
def test_nul_in_any_text_field_is_refused_naming_it(model: type[BaseModel], name: str, bad: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({name: bad})
    assert any(e["loc"] and e["loc"][0] == name and e["type"] != "missing" for e in caught.value.errors()), (
        caught.value.errors())
