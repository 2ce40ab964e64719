"""What we send stays exactly per spec, however leniently it was read (docs/compatibility.md, Reading policy):
every module's to_wire in both versions, for objects whose optional fields are all empty and whose timestamps
are not in UTC and carry microseconds, writes no null at any depth, every DateTime in UTC with Z and no
fraction, and a body our own wire schema of that version takes (our lengths and enums).

The objects are the smallest each version can receive (only required fields), read by either version's
from_wire and held in unsaved model rows, so every other field has the model's default: what an object
created with empty optionals in the admin or by a service looks like.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from django.db.models import DateTimeField

from partners.models import InterfaceRole
from roaming.models import Cdr, ClientInfo, Session, Token
from roaming.ocpi.credentials import Credentials, CredentialsRole
from roaming.ocpi.dialect import Endpoint
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.types import validate
from tariffs.models import Tariff
from tests.hardening.cases import SchemaWalker
from tests.roaming.locations_helpers import materialize

VERSIONS = ("2.2.1", "2.1.1")
PAIRS = [pytest.param(read, written, id=f"read-{read}-written-{written}") for read in VERSIONS for written in VERSIONS]
OUR_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
LOOKS_LIKE_A_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d")
ELSEWHERE = timezone(timedelta(hours=2))
RESPONSE_URL = "https://emsp.example.com/ocpi/2.2.1/commands/START_SESSION/1"


def problems(value, path: str = "") -> list[str]:
    """Nulls and timestamps not in our form, at any depth of a wire body."""
    if value is None:
        return [f"{path or '(body)'}: null"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in problems(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in problems(v, f"{path}[{i}]")]
    if isinstance(value, str) and LOOKS_LIKE_A_DATETIME.match(value) and not OUR_DATETIME.fullmatch(value):
        return [f"{path}: {value!r} is not UTC with Z"]
    return []


def minimal(schema) -> dict:
    return SchemaWalker(schema).minimal()


def elsewhere(obj):
    """`obj` with its timestamps moved to +02:00 and given microseconds: the same moments, not in our form."""
    fields = [f.attname for f in obj._meta.concrete_fields if isinstance(f, DateTimeField)]
    for name in fields:
        value = getattr(obj, name)
        if value is not None:
            setattr(obj, name, value.astimezone(ELSEWHERE).replace(microsecond=654321))
    return obj


def written(dialect, module: str, wire: dict, schema=None) -> dict:
    """`wire` after checking it: no nulls, our timestamps, and valid in our own schema of that version."""
    assert problems(wire) == []
    validate(schema or dialect.module(module).schema, wire)
    return wire


def _location(read: str):
    dialect = get_dialect(read)
    schemas = dialect.module("locations").schemas
    body = minimal(schemas["location"])
    body["evses"] = [minimal(schemas["evse"])]
    if read == "2.2.1":
        body.update(country_code="NL", party_id="CPO")
    location = materialize(dialect.module("locations").from_wire(body))
    for row in (location, *location.evses.all(), *(c for e in location.evses.all() for c in e.connectors.all())):
        elsewhere(row)
    return location


@pytest.mark.parametrize("read, write", PAIRS)
def test_a_location_evse_and_connector_with_empty_optionals_are_written_per_spec(read, write):
    dialect = get_dialect(write)
    translator = dialect.module("locations")
    location = _location(read)
    evse = location.evses.all()[0]
    connector = evse.connectors.all()[0]
    for level, obj in (("location", location), ("evse", evse), ("connector", connector)):
        wire = written(dialect, "locations", translator.to_wire(obj, level), translator.schemas[level])
        assert wire["last_updated"].endswith("Z")
    for level, obj, fields in (("evse", evse, ["status"]), ("connector", connector, ["max_amperage"])):
        assert problems(translator.patch_to_wire(obj, level=level, fields=fields)) == []


def _row(model, read: str, module: str, **extra):
    dialect = get_dialect(read)
    body = minimal(dialect.module(module).schema)
    kwargs = {"owner": ("NL", "CPO")} if read == "2.1.1" else {}
    if module in ("sessions", "cdrs") and read == "2.1.1":
        kwargs["token_owner"] = ("DE", "EMS")
    for period in body.get("charging_periods", []):
        # a dimension both versions know: a 2.2.1 CDR whose periods carry only dimensions 2.1.1 lacks has no
        # period 2.1.1 can write (docs/compatibility.md, Reading policy, what is not yet done)
        period["dimensions"] = [{"type": "ENERGY", "volume": 1.5}]
    internal = dialect.module(module).from_wire(body, **kwargs)
    for period in internal.get("charging_periods", []):
        # as a period built here may be held: Python's isoformat, with an offset and a fraction
        period["start_date_time"] = datetime(2026, 1, 2, 5, 4, 5, 123456, tzinfo=ELSEWHERE).isoformat()
    fields = {f.name for f in model._meta.concrete_fields}
    return elsewhere(model(**{k: v for k, v in internal.items() if k in fields}, **extra))


@pytest.mark.parametrize("read, write", PAIRS)
def test_a_tariff_with_empty_optionals_is_written_per_spec(read, write):
    dialect = get_dialect(write)
    wire = written(dialect, "tariffs", dialect.module("tariffs").to_wire(_row(Tariff, read, "tariffs")))
    assert wire["elements"] and "min_price" not in wire and "start_date_time" not in wire


@pytest.mark.parametrize("read, write", PAIRS)
def test_a_token_and_its_authorization_with_empty_optionals_are_written_per_spec(read, write):
    dialect = get_dialect(write)
    translator = dialect.module("tokens")
    token = _row(Token, read, "tokens")
    written(dialect, "tokens", translator.to_wire(token))
    result = SimpleNamespace(allowed="ALLOWED", token=token, location=None, authorization_reference="", info=None)
    written(dialect, "tokens", translator.authorization_to_wire(result), translator.authorization_schema)
    refs = {"location_id": "LOC1", "evse_uids": [], "connector_ids": []}
    with_location = SimpleNamespace(**{**vars(result), "location": refs})
    written(dialect, "tokens", translator.authorization_to_wire(with_location), translator.authorization_schema)


@pytest.mark.parametrize("read, write", PAIRS)
def test_a_session_with_empty_optionals_is_written_per_spec(read, write):
    dialect = get_dialect(write)
    session = _row(Session, read, "sessions")
    session.location_object = _location(read)  # what the sender list and the push attach (2.1.1 embeds it)
    wire = written(dialect, "sessions", dialect.module("sessions").to_wire(session))
    assert "end_date_time" not in wire and "end_datetime" not in wire and "total_cost" not in wire


@pytest.mark.parametrize("read, write", PAIRS)
def test_a_cdr_with_empty_optionals_is_written_per_spec(read, write):
    dialect = get_dialect(write)
    cdr = _row(Cdr, read, "cdrs")
    cdr.stored_connector = None
    wire = written(dialect, "cdrs", dialect.module("cdrs").to_wire(cdr))
    assert "remark" not in wire and "total_parking_time" not in wire


def test_a_client_info_is_written_per_spec():
    dialect = get_dialect("2.2.1")
    info = elsewhere(ClientInfo(country_code="DE", party_id="EMS", role="EMSP", status="CONNECTED"))
    info.last_updated = datetime(2030, 1, 1, 2, 0, 0, 999, tzinfo=ELSEWHERE)
    wire = written(dialect, "hubclientinfo", dialect.module("hubclientinfo").to_wire(info))
    assert wire["last_updated"] == "2030-01-01T00:00:00Z"


@pytest.mark.parametrize("version", VERSIONS)
def test_credentials_and_version_details_with_empty_optionals_are_written_per_spec(version):
    dialect = get_dialect(version)
    role = CredentialsRole(role="CPO", country_code="NL", party_id="CPO", business_details={"name": "Us", "logo": {}})
    credentials = Credentials(token="t0ken", url="https://us.example.com/ocpi/us/versions", roles=(role,))
    translator = dialect.module("credentials")
    written(dialect, "credentials", translator.to_wire(credentials))
    details = dialect.module("versions").details_to_wire(
        [Endpoint(identifier="locations", role=InterfaceRole.SENDER, url="https://us.example.com/l")]
    )
    assert problems(details) == []


@pytest.mark.parametrize("read, write", PAIRS)
def test_command_requests_and_answers_with_empty_optionals_are_written_per_spec(read, write):
    source, target = get_dialect(read).module("commands"), get_dialect(write).module("commands")
    for command in sorted(set(source.requests) & set(target.requests)):
        body = minimal(source.requests[command])
        body["response_url"] = RESPONSE_URL
        if "reservation_id" in body:  # 2.1.1 has only numbers for it (VERSION-DIFFERENCES 11)
            body["reservation_id"] = 1 if read == "2.1.1" else "1"
        request, url = source.request_from_wire(command, body, token_owner=("DE", "EMS"))
        wire = target.request_to_wire(command, request, url)
        assert problems(wire) == [], command
        target.parse_request(command, wire)
    assert problems(target.response_to_wire(result="ACCEPTED", timeout=30, message=[])) == []
    validate(target.response_schema, target.response_to_wire(result="ACCEPTED", timeout=30, message=[]))
    assert problems(target.result_to_wire(result="ACCEPTED", message=[])) == []


def test_charging_profile_requests_and_answers_with_empty_optionals_are_written_per_spec():
    translator = get_dialect("2.2.1").module("chargingprofiles")
    profile = translator.profile_from_wire({"charging_rate_unit": "W"})
    active = {"start_date_time": datetime(2030, 1, 1, 2, 0, 0, 5, tzinfo=ELSEWHERE), "charging_profile": profile}
    bodies = [
        translator.set_to_wire(profile=profile, response_url=RESPONSE_URL),
        translator.get_to_wire(duration=900, response_url=RESPONSE_URL),
        translator.clear_to_wire(response_url=RESPONSE_URL),
        translator.response_to_wire(result="ACCEPTED", timeout=30),
        translator.result_to_wire("GET", result="ACCEPTED", profile=active),
        translator.result_to_wire("SET", result="ACCEPTED"),
        translator.active_profile_to_wire(active),
    ]
    assert [problems(b) for b in bodies] == [[] for _ in bodies]
    assert translator.active_profile_to_wire(active)["start_date_time"] == "2030-01-01T00:00:00Z"
