"""Bad-input cases generated from a wire schema's JSON schema: a minimal valid body, then one defect each.

Every case names the field path the answer's message must name, in the format of
roaming.ocpi.types.describe (`evses[0].connectors[0].standard`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

# A value of each pattern the wire schemas use; the first that matches is taken.
PATTERN_SAMPLES = ("A", "52.123456", "4.123456", "08:00", "2030-01-01", "https://partner.example/r/1", "NLHUB")
DATETIME = "2030-01-01T00:00:00Z"
WRONG_TYPE = {
    "string": 12345,
    "integer": "12",
    "number": "1.5",
    "boolean": "true",
    "array": {"not": "an array"},
    "object": ["not", "an", "object"],
}


@dataclass(frozen=True)
class BodyCase:
    name: str
    body: Any
    field: str  # the path the message must name


class SchemaWalker:
    def __init__(self, model: type[BaseModel]):
        self.schema = model.model_json_schema()
        self.defs = self.schema.get("$defs", {})

    def resolve(self, node: dict) -> dict:
        """The node behind $ref, and the non-null branch of an Optional's anyOf."""
        while True:
            if "$ref" in node:
                node = self.defs[node["$ref"].rsplit("/", 1)[1]]
            elif "anyOf" in node:
                options = [o for o in node["anyOf"] if o.get("type") != "null"]
                node = options[0]
            else:
                return node

    def sample(self, node: dict) -> Any:
        node = self.resolve(node)
        if "enum" in node:
            return node["enum"][0]
        kind = node.get("type")
        if kind == "object":
            return {name: self.sample(node["properties"][name]) for name in node.get("required", [])}
        if kind == "array":
            return [self.sample(node["items"])] if node.get("minItems", 0) > 0 else []
        if kind == "string":
            if node.get("format") == "date-time":
                return DATETIME
            pattern = node.get("pattern")
            return next(s for s in PATTERN_SAMPLES if pattern is None or re.search(pattern, s))
        if kind == "integer":
            return max(1, node.get("minimum", 1))
        if kind == "number":
            return 1.5
        if kind == "boolean":
            return False
        raise AssertionError(f"no sample for {node}")

    def minimal(self) -> dict:
        return self.sample(self.schema)


def _set(body: dict, path: tuple, value: Any) -> dict:
    body = copy.deepcopy(body)
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


def _delete(body: dict, path: tuple) -> dict:
    body = copy.deepcopy(body)
    target = body
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return body


def _text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def body_cases(model: type[BaseModel], base: dict, *, missing: bool = True) -> list[BodyCase]:
    """Per field of the schema (and of the nested objects the base body holds): missing when required,
    of the wrong type, one over its max length, and an unknown enum value."""
    walker = SchemaWalker(model)
    cases: list[BodyCase] = []

    def walk(node: dict, path: tuple) -> None:
        node = walker.resolve(node)
        required = set(node.get("required", []))
        for name, prop in node.get("properties", {}).items():
            where = (*path, name)
            field = _text(where)
            resolved = walker.resolve(prop)
            kind = resolved.get("type")
            if missing and name in required:
                cases.append(BodyCase(f"missing {field}", _delete(base, where), field))
            if kind in WRONG_TYPE:
                cases.append(BodyCase(f"wrong type {field}", _set(base, where, WRONG_TYPE[kind]), field))
            if kind == "string" and "maxLength" in resolved and "enum" not in resolved:
                too_long = "A" * (resolved["maxLength"] + 1)
                cases.append(BodyCase(f"too long {field}", _set(base, where, too_long), field))
            if "enum" in resolved:
                cases.append(BodyCase(f"unknown enum {field}", _set(base, where, "NOT_A_VALUE"), field))
            items = walker.resolve(resolved.get("items", {})) if kind == "array" else {}
            if "enum" in items:
                cases.append(BodyCase(f"unknown enum {field}[0]", _set(base, where, ["NOT_A_VALUE"]), f"{field}[0]"))
            in_base = _get(base, where)
            if kind == "object" and isinstance(in_base, dict):
                walk(resolved, where)
            elif kind == "array" and items.get("type") == "object" and isinstance(in_base, list) and in_base:
                walk(items, (*where, 0))

    walk(walker.schema, ())
    return cases


def _get(body: Any, path: tuple) -> Any:
    for part in path:
        try:
            body = body[part]
        except (KeyError, IndexError, TypeError):
            return None
    return body
