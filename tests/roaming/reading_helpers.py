"""Helpers of the reading-policy tests: a body with fields sent as null or left out, and what the database holds,
to compare two writes of the same object."""

from __future__ import annotations

import copy

from django.forms.models import model_to_dict


def with_nulls(body: dict, paths: list[tuple]) -> dict:
    """`body` with each field at `paths` sent as null."""
    body = copy.deepcopy(body)
    for path in paths:
        target = body
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = None
    return body


def without(body: dict, paths: list[tuple]) -> dict:
    """`body` with each field at `paths` left out."""
    body = copy.deepcopy(body)
    for path in paths:
        target = body
        for part in path[:-1]:
            target = target[part]
        target.pop(path[-1], None)
    return body


_KEYS = {"id", "tenant", "partner", "location", "evse", "last_updated", "revision"}


def stored(*models) -> list:
    """What the models hold, without surrogate keys, to compare two writes of the same object."""
    return [
        [{k: v for k, v in model_to_dict(o).items() if k not in _KEYS} for o in m.objects.order_by("pk")]
        for m in models
    ]
