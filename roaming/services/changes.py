"""What a receiver write did, for the view's answer and the outbox: one shape for every module."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """A write `created` the object or updated it, under `object_path`; for locations also at which `level`
    (location, evse, connector)."""

    created: bool
    object_path: str
    level: str | None = None
