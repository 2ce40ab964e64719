"""`null` in what we receive, for every wire schema of both versions (roaming.ocpi.types.WireModel).

An optional field sent as null reads as the field left out, at every depth (terminology "?" and "*": "If not
set, it might be null, or the field might be omitted"); a required field sent as null is refused with 2001
naming its path. Every schema is walked from a body that fills every field, one null at a time.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from roaming.ocpi.dialects import all_dialects
from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.types import WireModel, validate
from tests.hardening.cases import SchemaWalker


def _schemas() -> list[type[WireModel]]:
    all_dialects()  # imports every version package, so that each schema exists
    found, todo = [], list(WireModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if model.__module__.startswith("roaming.ocpi.") and not model.__name__.startswith("Partial"):
            found.append(model)
    return sorted(set(found), key=lambda m: (m.__module__, m.__name__))


SCHEMAS = _schemas()


class FullWalker(SchemaWalker):
    """A body with every field of every object filled, and one entry in every list, so that nulls can be tried
    at every depth."""

    def sample(self, node: dict) -> Any:
        node = self.resolve(node)
        if node.get("type") == "object" and "properties" in node:
            return {name: self.sample(prop) for name, prop in node["properties"].items()}
        if node.get("type") == "array":
            return [self.sample(node["items"])]
        return super().sample(node)


def _paths(walker: SchemaWalker, node: dict, body: Any, path: tuple = ()):
    """(path, required) of every field in `body`, depth first."""
    node = walker.resolve(node)
    if node.get("type") == "array":
        if body:
            yield from _paths(walker, node["items"], body[0], (*path, 0))
        return
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        if name in body:
            yield (*path, name), name in required
            yield from _paths(walker, prop, body[name], (*path, name))


def _set(body: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(body)
    target = changed
    for part in path[:-1]:
        target = target[part]
    if value is _ABSENT:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


_ABSENT = object()


def _text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _outcome(model: type[WireModel], body: dict) -> tuple[str, Any]:
    """What validating `body` gives: the object read, or the refusal (a cross-field rule may refuse both)."""
    try:
        return "read", validate(model, body).model_dump()
    except InvalidParameters as exc:
        return "refused", exc.message


def _full(model: type[WireModel]) -> tuple[SchemaWalker, dict]:
    walker = FullWalker(model)
    body = walker.sample(walker.schema)
    validate(model, body)  # the walk starts from a valid body
    return walker, body


def test_every_schema_of_both_versions_is_walked():
    names = {f"{m.__module__.rsplit('.', 2)[-2]}.{m.__name__}" for m in SCHEMAS}
    for version in ("v2_1_1", "v2_2_1"):
        for schema in ("LocationWire", "EvseWire", "ConnectorWire", "TariffWire", "TokenWire", "SessionWire"):
            assert f"{version}.{schema}" in names
        assert f"{version}.CdrWire" in names and f"{version}.CommandResponse" in names
    assert "v2_2_1.ClientInfoWire" in names and "v2_2_1.SetChargingProfile" in names


@pytest.mark.parametrize("model", SCHEMAS, ids=lambda m: f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}")
def test_an_optional_field_sent_as_null_reads_as_left_out_at_every_depth(model):
    walker, body = _full(model)
    optional = [path for path, required in _paths(walker, walker.schema, body) if not required]
    wrong = []
    for path in optional:
        with_null, absent = _outcome(model, _set(body, path, None)), _outcome(model, _set(body, path, _ABSENT))
        if with_null != absent:
            wrong.append(f"{_text(path)}: {with_null} where absent is {absent}")
    assert wrong == []


@pytest.mark.parametrize("model", SCHEMAS, ids=lambda m: f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}")
def test_a_required_field_sent_as_null_is_2001_naming_it(model):
    walker, body = _full(model)
    wrong = []
    for path, required in _paths(walker, walker.schema, body):
        if not required:
            continue
        try:
            validate(model, _set(body, path, None))
        except InvalidParameters as exc:
            if exc.status_code != 2001 or not exc.message.startswith(f"{_text(path)}: may not be null"):
                wrong.append(f"{_text(path)}: {exc.message}")
        else:
            wrong.append(f"{_text(path)}: null accepted")
    assert wrong == []
