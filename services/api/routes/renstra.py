"""Routes for renstra (filled in with the reports issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["reports"])
