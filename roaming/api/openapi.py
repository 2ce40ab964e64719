"""The OpenAPI description of every OCPI endpoint of every version, served at /ocpi/openapi.json.

Built from the module table's routes (paths, methods) and each dialect's wire schemas (bodies), so it
cannot drift from what the views accept. Every response is wrapped in the OCPI envelope
(transport_and_format, Response format); every endpoint but this description needs the
Authorization: Token header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import orjson
from django.http import HttpRequest, HttpResponse
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from partners.models import InterfaceRole
from roaming import modules
from roaming.api.routes import Route
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import all_dialects
from roaming.ocpi.types import partial_schema

PAGINATION = ("offset", "limit", "date_from", "date_to")


@dataclass(frozen=True)
class PathParam:
    name: str
    max_length: int | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One method of one endpoint of one version, with the wire schemas of its body and its data."""

    dialect: Dialect
    module: str
    role: str
    view: type
    method: str
    path: str  # below /ocpi, with {name} placeholders
    path_params: tuple[PathParam, ...]
    body: type[BaseModel] | None = None
    body_required: bool = True
    response: type[BaseModel] | None = None
    many: bool = False
    paginated: bool = False
    query: tuple[str, ...] = ()
    required_query: tuple[str, ...] = ()

    @property
    def is_patch(self) -> bool:
        return self.method == "patch"


_GROUP = re.compile(r"\(\?P<(\w+)>([^)]*)\)")
_BOUND = re.compile(r"\{\d+,(\d+)\}$")


def _path_params(route: Route, suffix: str) -> tuple[str, tuple[PathParam, ...]]:
    """The suffix regex as an OpenAPI path, and its parameters with the lengths the views enforce."""
    limits = route.segment_limits
    params = []
    for name, pattern in _GROUP.findall(suffix):
        bound = _BOUND.search(pattern)
        params.append(PathParam(name, int(bound.group(1)) if bound else limits.get(name)))
    return _GROUP.sub(lambda m: "{" + m.group(1) + "}", suffix), tuple(params)


def _level(params: tuple[PathParam, ...]) -> str:
    names = {p.name for p in params}
    return "connector" if "connector_id" in names else "evse" if "evse_uid" in names else "location"


def _command_operations(common: dict, path: str, params, route: Route, translator):
    """A receiver's operation per command (each takes its own request object); a sender's result callback."""
    if route.role == InterfaceRole.RECEIVER:
        for command in translator.commands:  # one operation per command: each takes its own request object
            fixed = path.replace("{command}", command)
            command_params = tuple(p for p in params if p.name != "command")
            yield Operation(
                **{**common, "path_params": command_params},
                method="post",
                path=fixed,
                body=translator.requests[command],
                response=translator.response_schema,
            )
        return
    params = tuple(PathParam(p.name, enum=translator.commands) if p.name == "command" else p for p in params)
    yield Operation(**{**common, "path_params": params}, method="post", path=path, body=translator.result_schema)


def _module_operations(dialect: Dialect, route: Route, suffix: str, view: type):
    """The operations of one view of one route, with the translator's schemas for its bodies."""
    translator = dialect.module(route.identifier)
    path, params = _path_params(route, suffix)
    path = f"/{{tenant}}/{dialect.version}/{route.segment}/{route.identifier}{path}"
    params = (PathParam("tenant", 63), *params)
    common = {"dialect": dialect, "module": route.identifier, "role": route.role, "view": view, "path_params": params}
    tokens_query = ("type",) if route.identifier == "tokens" else ()
    is_list = suffix == "" and route.role == InterfaceRole.SENDER

    if route.identifier == "chargingprofiles":
        yield from _charging_profile_operations(common, path, translator)
        return
    if route.identifier == "commands":
        yield from _command_operations(common, path, params, route, translator)
        return
    schema = translator.schemas[_level(params)] if route.identifier == "locations" else translator.schema
    if is_list:
        required = ("date_from",) if route.identifier == "sessions" else ()
        yield Operation(
            **common,
            method="get",
            path=path,
            response=schema,
            many=True,
            paginated=True,
            query=PAGINATION,
            required_query=required,
        )
        return
    if path.endswith("/charging_preferences"):
        if translator.preferences_schema is not None:
            yield Operation(**common, method="put", path=path, body=translator.preferences_schema)
        return
    if path.endswith("/authorize"):
        yield Operation(
            **common,
            method="post",
            path=path,
            body=translator.location_references_schema,
            body_required=False,
            response=translator.authorization_schema,
            query=tokens_query,
        )
        return
    for method in ("get", "put", "patch", "post", "delete"):
        if not hasattr(view, method):
            continue
        if method == "patch" and not translator.supports_patch:
            continue
        if method == "get":
            yield Operation(**common, method=method, path=path, response=schema, query=tokens_query)
        elif method == "delete":
            yield Operation(**common, method=method, path=path)
        else:
            body = partial_schema(schema) if method == "patch" else schema
            yield Operation(**common, method=method, path=path, body=body, query=tokens_query)


def _charging_profile_operations(common: dict, path: str, translator):
    """Receiver: PUT a SetChargingProfile, GET and DELETE by query; sender: results per kind, active profiles."""
    if common["role"] == InterfaceRole.RECEIVER:
        answer = translator.response_schema
        yield Operation(**common, method="put", path=path, body=translator.set_schema, response=answer)
        query = ("duration", "response_url")
        yield Operation(**common, method="get", path=path, response=answer, query=query, required_query=query)
        query = ("response_url",)
        yield Operation(**common, method="delete", path=path, response=answer, query=query, required_query=query)
    elif "{kind}" in path:
        params = tuple(p for p in common["path_params"] if p.name != "kind")
        for kind, schema in translator.results.items():
            fixed = {**common, "path_params": params}
            yield Operation(**fixed, method="post", path=path.replace("{kind}", kind), body=schema)
    else:
        yield Operation(**common, method="put", path=path, body=translator.active_schema)


def _credentials_operations(dialect: Dialect):
    schema = dialect.module("credentials").schema
    common = {
        "dialect": dialect,
        "module": "credentials",
        "role": InterfaceRole.SENDER,
        "view": None,
        "path": f"/{{tenant}}/{dialect.version}/credentials",
        "path_params": (PathParam("tenant", 63),),
    }
    yield Operation(**common, method="get", response=schema)
    yield Operation(**common, method="post", body=schema, response=schema)
    yield Operation(**common, method="put", body=schema, response=schema)
    yield Operation(**common, method="delete")


@cache
def operations() -> tuple[Operation, ...]:
    """Every module operation of every version, in registry order, then credentials.

    A route registered for several party roles (charging profiles' sender: eMSP or SCSP) is listed once.
    """
    found = {}
    for dialect in all_dialects():
        for route in modules.routes():
            if not dialect.has_module(route.identifier):
                continue
            for suffix, view in route.views:
                for op in _module_operations(dialect, route, suffix, view):
                    found.setdefault((op.path, op.method), op)
        found.update({(op.path, op.method): op for op in _credentials_operations(dialect)})
    return tuple(found.values())


# -- the document ----------------------------------------------------------------------------------


def _envelope(data: dict | None) -> dict:
    properties = {
        "status_code": {"type": "integer", "description": "OCPI status code (status_codes chapter)"},
        "status_message": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
    }
    if data is not None:
        properties = {"data": data, **properties}
    return {"type": "object", "required": ["status_code", "timestamp"], "properties": properties}


_QUERY_SCHEMAS = {
    "offset": {"type": "integer", "minimum": 0},
    "limit": {"type": "integer", "minimum": 0},
    "date_from": {"type": "string", "format": "date-time"},
    "date_to": {"type": "string", "format": "date-time"},
    "duration": {"type": "integer", "minimum": 0},
    "response_url": {"type": "string", "maxLength": 255, "pattern": r"^https?://[\x21-\x7e]+$"},
}

_VERSIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["version", "url"],
        "properties": {"version": {"type": "string"}, "url": {"type": "string"}},
    },
}
_VERSION_DETAILS = {
    "type": "object",
    "required": ["version", "endpoints"],
    "properties": {"version": {"type": "string"}, "endpoints": {"type": "array", "items": {"type": "object"}}},
}


def _schemas(ops: tuple[Operation, ...]) -> tuple[dict, dict]:
    """Component schemas of every wire model, per version (2.1.1 and 2.2.1 share class names)."""
    refs, components = {}, {}
    for dialect in all_dialects():
        models = []
        for op in ops:
            if op.dialect is dialect:
                models.extend(m for m in (op.body, op.response) if m is not None and m not in models)
        prefix = dialect.version.replace(".", "_") + "_"
        key_map, defs = models_json_schema(
            [(m, "validation") for m in models], ref_template=f"#/components/schemas/{prefix}{{model}}"
        )
        for (model, _), ref in key_map.items():
            refs[(dialect.version, model)] = ref
        components.update({prefix + name: schema for name, schema in defs.get("$defs", {}).items()})
    return refs, components


def _operation_object(op: Operation, refs: dict) -> dict:
    def ref(model):
        return refs[(op.dialect.version, model)]

    parameters = [
        {
            "name": p.name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1}
            | ({"maxLength": p.max_length} if p.max_length else {})
            | ({"enum": list(p.enum)} if p.enum else {}),
        }
        for p in op.path_params
    ]
    for name in op.query:
        schema = _QUERY_SCHEMAS.get(name) or {"type": "string", "enum": list(op.dialect.module("tokens").types)}
        parameters.append({"name": name, "in": "query", "required": name in op.required_query, "schema": schema})
    data = None
    if op.response is not None:
        data = {"type": "array", "items": ref(op.response)} if op.many else ref(op.response)
    success = {
        "description": "Answered in the OCPI envelope",
        "content": {"application/json": {"schema": _envelope(data)}},
    }
    if op.paginated:
        success["headers"] = {
            "X-Total-Count": {"schema": {"type": "integer"}},
            "X-Limit": {"schema": {"type": "integer"}},
            "Link": {"schema": {"type": "string"}},
        }
    error = {
        "description": "An error, in the OCPI envelope",
        "content": {"application/json": {"schema": _envelope(None)}},
    }
    obj = {
        "operationId": f"{op.dialect.version}-{op.role.lower()}-{op.method}-{op.path}",
        "tags": [f"{op.dialect.version} {op.module}"],
        "parameters": parameters,
        "security": [{"Token": []}],
        "responses": {"200": success, "default": error},
    }
    if op.method in ("put", "post"):
        obj["responses"]["201"] = success
    if op.body is not None:
        obj["requestBody"] = {"required": op.body_required, "content": {"application/json": {"schema": ref(op.body)}}}
    return obj


def _static_paths() -> dict:
    def get(summary: str, data: dict, params: list[str]) -> dict:
        return {
            "get": {
                "operationId": summary,
                "tags": ["versions"],
                "parameters": [
                    {"name": n, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                    for n in params
                ],
                "security": [{"Token": []}],
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": _envelope(data)}}},
                    "default": {"description": "Error", "content": {"application/json": {"schema": _envelope(None)}}},
                },
            }
        }

    paths = {"/ocpi/{tenant}/versions": get("versions", _VERSIONS, ["tenant"])}
    for dialect in all_dialects():
        paths[f"/ocpi/{{tenant}}/{dialect.version}"] = get(f"{dialect.version}-details", _VERSION_DETAILS, ["tenant"])
    return paths


@cache
def document() -> dict:
    ops = operations()
    refs, components = _schemas(ops)
    paths = _static_paths()
    for op in ops:
        paths.setdefault(f"/ocpi{op.path}", {})[op.method] = _operation_object(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OCPI roaming platform",
            "version": ", ".join(d.version for d in all_dialects()),
            "description": "Every OCPI endpoint of every version a tenant serves; answers are OCPI envelopes.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "Token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "'Token <token>': " + _token_forms(),
                }
            },
        },
    }


def openapi_view(request: HttpRequest) -> HttpResponse:
    """The description itself needs no token: it holds no tenant's data."""
    return HttpResponse(orjson.dumps(document()), content_type="application/json")


def _token_forms() -> str:
    """Which versions send the token raw and which Base64 encoded, e.g. 'raw in 2.1.1, Base64 in 2.2.1, 2.3.0'."""
    forms = {False: "raw in ", True: "Base64 in "}
    versions = {
        form: [d.version for d in sorted(all_dialects(), key=lambda d: d.sort_key) if d.token_base64 == form]
        for form in forms
    }
    return ", ".join(forms[form] + ", ".join(versions[form]) for form in forms if versions[form])
