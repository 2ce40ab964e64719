"""PartnerSim: an OCPI 2.1.1 / 2.2.1 partner for tests, written from the spec, that misbehaves on request.

It is a second implementation of OCPI, independent of the platform: it uses the standard library and
`requests` only and imports nothing of `roaming` or `partners`, so that where the platform and the spec
disagree a test notices. One sim is one partner platform with one party (`country_code`, `party_id`) in one
role (CPO or EMSP) speaking one version, served by a real HTTP server on 127.0.0.1 in a background thread:

- versions list and version details (2.1.1: identifiers and URLs; 2.2.1: with the SENDER/RECEIVER role of
  each interface);
- credentials: registration with a token A the sim issued (`issue_token_a()`): it reads the registering
  side's versions and details back with token B before answering token C (credentials chapter); PUT, DELETE
  and GET; and `register_with(versions_url, token_a)` to register itself with another platform;
- sender lists from its own data (CPO: locations, tariffs, sessions, cdrs; eMSP: tokens): offset/limit,
  date_from (inclusive) / date_to (exclusive), X-Total-Count, X-Limit and `Link: <...>; rel="next"`
  (transport_and_format, pagination); the location, EVSE and connector GET of the locations sender;
- receivers that keep what they are sent (`held()`, `holds()`), so a test can assert what the partner
  holds: locations (PUT/PATCH at location, EVSE and connector level), tariffs (PUT/DELETE, PATCH in 2.1.1),
  sessions (PUT/PATCH), CDRs (POST, answered with a Location header), tokens (PUT/PATCH), commands (CPO:
  a CommandResponse, then the result POSTed to the response_url; eMSP: the response_url receiver and
  `send_command()`), and real-time authorization (eMSP: POST tokens/{uid}/authorize);
- object builders for its own data, realistic and valid for its version: `add_locations(n, evses=4,
  connectors=2)`, `add_tokens`, `add_tariffs`, `add_sessions`, `add_cdrs`; `touch()` to change one;
- every request it received (`requests`) and made (`sent`) recorded; state behind one lock; a failure
  inside the sim is answered 500 / 3000 and kept in `errors`, so a test tells the sim's bugs from ours.

What it is sent is checked against the spec tables of its version (SCHEMAS: required fields, types,
lengths, enums, DateTime and coordinate formats) and refused with 2001 and a message naming the field;
nothing is stored then. An object it does not hold is answered 2003 (HTTP 200 in 2.1.1, HTTP 404 in 2.2.1,
as 2.2.1 status_codes allows for a resource that does not exist); an authorization of a token it does not
know: HTTP 404 with 2004 in 2.2.1 (mod_tokens), HTTP 404 with 2000 in 2.1.1 (which has no 2004).

PATCH merging (transport_and_format, PATCH: what is left out stays unchanged): fields present replace the
stored ones, except `evses` of a location and `connectors` of an EVSE, merged by `uid` / `id` (a PATCH
lists only the objects it changes), and 2.2.1 session `charging_periods`, appended (mod_sessions PATCH);
a PATCH of an EVSE or connector also sets its parents' `last_updated` (mod_locations, both versions).

Quirks
------
Each is off by default (the sim then follows the spec) and switched on one by one:
`PartnerSim(..., quirks={"no_link", "naive_timestamps"})`, with a value
`quirks={"page_caps": {"locations": 5}, "token_form": "BASE64"}`, or later `sim.quirks.no_link = True`.
Sources are rows of FIELD-QUIRKS.md (the platform team's field evidence) and the issues it cites.

nulls_for_optionals
    Every optional field it leaves out is written as null (lists too), in what it serves, answers and
    sends; `status_message` and error `data` are null. FIELD-QUIRKS, "always tolerated": null for an
    optional field (both specs: an omitted optional field reverts to its default or NULL).
naive_timestamps
    Every DateTime it writes lacks the zone ("2026-01-01T10:00:00"), envelope timestamps included.
    FIELD-QUIRKS: timestamps without a zone (2.2.1 types: treat as UTC), IZIVIA #118; e-clearing.net.
http_403_for_bad_token
    A missing, unknown or misplaced token is answered 403 instead of 401. FIELD-QUIRKS, token row (the
    versions endpoint answering something else than 401 to the token it does not take); the 2.2.1
    status_codes erratum keeps 401/403 for unauthenticated requests.
status_3000_for_wrong_token_form
    Versions and version details answer HTTP 200 with OCPI 3000 to a known token in the other form (raw
    instead of Base64 or the reverse); other endpoints still 401. FIELD-QUIRKS, token row: ocpi/ocpi #212, #369.
token_form ("BASE64" or "RAW")
    The only form it accepts (and writes) whatever its version prescribes (2.1.1 raw, 2.2.1 Base64).
    FIELD-QUIRKS, token row: ocpi/ocpi #212 and #369, IZIVIA ocpi-toolkit #125, ENAPI's per-platform switch.
no_link
    Lists carry no Link header, though more pages follow (X-Total-Count stays right). FIELD-QUIRKS, page
    size row: "a Link header that cannot be followed (walk by offset instead)".
broken_link ("offset": skips a page; "url": points to a path it does not serve)
    The next-page Link is wrong. FIELD-QUIRKS, page size row: the broken-Link case of open-source servers.
page_caps ({module: n})
    Serves at most n objects a page whatever `limit` asks (X-Limit says n). FIELD-QUIRKS: Gireve 2.2.1
    caps (locations 100, tokens 1000, CDRs 20, tariffs 100).
list_for_object
    A one-element list where the spec says one object: the credentials answer, the command response,
    the authorization answer. Seen in the field; the platform's client unwraps it (OcpiResult.object()).
http_status_for_invalid (400 or 422)
    Invalid input is answered with this HTTP status (OCPI 2001 in the body) instead of HTTP 200 + 2001.
    FIELD-QUIRKS, "what users complain about most": HTTP status vs OCPI status codes.
no_patch ({module: (http status, OCPI code)}; a list of modules means HTTP 405 + 2000)
    PATCH of these modules is refused and nothing is stored. FIELD-QUIRKS: Gireve 2.2.1 takes no PATCH
    for sessions and tokens; CitrineOS turns PATCH into PUT for Gireve.
no_credentials_put
    Credentials PUT answered HTTP 405 + 3000; after a DELETE the token just used is taken once more as a
    token A, so the other side can register again. FIELD-QUIRKS: Gireve 2.2.1 (unregister, register again).
lower_case_ids
    Ids in what it serves (id, uid, location_id, evse_uid, connector_id, session_id, tariff_id(s)) are
    lower-cased; it still finds its objects case-insensitively. FIELD-QUIRKS: ids normalised by the partner
    (e-clearing.net v3.0, Gireve); CiString ids are case-insensitive in both specs.
ok_for_created
    HTTP 200 where 201 is due (a new object PUT, a CDR POST). FIELD-QUIRKS, "always tolerated".
routing_headers ("required" or "rejected")
    "required": requests to functional modules without all four OCPI-to/OCPI-from headers, or addressed
    to another party, are refused (2001 naming the header), in 2.1.1 as well; the sim sends them itself.
    "rejected": requests carrying any of them are refused; it sends none. FIELD-QUIRKS: Gireve 2.1.1 and
    2.2.1 (mandatory, even in 2.1.1); ocpi-kit `omit_routing_headers`.
loose_version
    Versions list and details say "2.1" for 2.1.1 and "2.2" for 2.2.1. FIELD-QUIRKS: ocpi/ocpi #143.
required_fields ({"locations.operator.name", "locations.evses.capabilities", ...})
    Optional fields it requires, as paths below the module (a list level is walked through); a PUT
    without them is refused (2001 naming the field). Lists may be empty, not absent. FIELD-QUIRKS: Gireve
    2.1.1 (owner.name, operator.name, connector tariff_id, capabilities).
extension_fields (e.g. ("gireve_id", "authorization_id"))
    Fields outside the spec it adds: each name but authorization_id on every top-level object it serves;
    `authorization_id` on its authorization answers, and expected back: a session or CDR of a token it
    authorized without that authorization_id is refused (2001). FIELD-QUIRKS: Gireve 2.1.1 / 2.2.1.
own_last_updated
    What it stores gets its own entry time as `last_updated` (parents bumped to it too), and that is what
    its receiver GETs show. FIELD-QUIRKS: e-clearing.net.
unknown_object ((http status, OCPI code))
    How it answers about an object it does not hold, instead of 2003 (e.g. (200, 2001) or (400, 2000)).
    FIELD-QUIRKS: partners answer an unknown object otherwise (the platform's lenient unknown_object_answers).
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import random
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

# -- the spec tables ---------------------------------------------------------------------------------------
#
# "card type" per field, as the spec tables write them: card 1 required, ? optional, * list, + non-empty
# list; a type is a primitive (string(n), CiString(n), URL, DateTime, int, number, boolean, Time "HH:MM",
# Date "YYYY-MM-DD", Latitude, Longitude), an enum or a class of the same version.

_SHARED = {
    "DisplayText": {"language": "1 string(2)", "text": "1 string(512)"},
    "GeoLocation": {"latitude": "1 Latitude", "longitude": "1 Longitude"},
    "AdditionalGeoLocation": {"latitude": "1 Latitude", "longitude": "1 Longitude", "name": "? DisplayText"},
    "BusinessDetails": {"name": "1 string(100)", "website": "? URL", "logo": "? Image"},
    "EnergySource": {"source": "1 EnergySourceCategory", "percentage": "1 number"},
    "ExceptionalPeriod": {"period_begin": "1 DateTime", "period_end": "1 DateTime"},
    "RegularHours": {"weekday": "1 int", "period_begin": "1 Time", "period_end": "1 Time"},
    "StatusSchedule": {"period_begin": "1 DateTime", "period_end": "? DateTime", "status": "1 Status"},
    "EnergyMix": {
        "is_green_energy": "1 boolean",
        "energy_sources": "* EnergySource",
        "environ_impact": "* EnvironmentalImpact",
        "supplier_name": "? string(64)",
        "energy_product_name": "? string(64)",
    },
    "CdrDimension": {"type": "1 CdrDimensionType", "volume": "1 number"},
    "TariffElement": {"price_components": "+ PriceComponent", "restrictions": "? TariffRestrictions"},
    "Version": {"version": "1 VersionNumber", "url": "1 URL"},
    "VersionDetails": {"version": "1 VersionNumber", "endpoints": "+ Endpoint"},
}

SCHEMAS: dict[str, dict[str, dict[str, str]]] = {
    # 2.1.1: mod_locations (errata), mod_sessions, mod_cdrs (errata), mod_tariffs (errata), mod_tokens,
    # mod_commands, credentials, version_information_endpoint (errata), types.
    "2.1.1": {
        **_SHARED,
        "Location": {
            "id": "1 string(39)",
            "type": "1 LocationType",
            "name": "? string(255)",
            "address": "1 string(45)",
            "city": "1 string(45)",
            "postal_code": "1 string(10)",
            "country": "1 string(3)",
            "coordinates": "1 GeoLocation",
            "related_locations": "* AdditionalGeoLocation",
            "evses": "* EVSE",
            "directions": "* DisplayText",
            "operator": "? BusinessDetails",
            "suboperator": "? BusinessDetails",
            "owner": "? BusinessDetails",
            "facilities": "* Facility",
            "time_zone": "? string(255)",
            "opening_times": "? Hours",
            "charging_when_closed": "? boolean",
            "images": "* Image",
            "energy_mix": "? EnergyMix",
            "last_updated": "1 DateTime",
        },
        "EVSE": {
            "uid": "1 string(39)",
            "evse_id": "? string(48)",
            "status": "1 Status",
            "status_schedule": "* StatusSchedule",
            "capabilities": "* Capability",
            "connectors": "+ Connector",
            "floor_level": "? string(4)",
            "coordinates": "? GeoLocation",
            "physical_reference": "? string(16)",
            "directions": "* DisplayText",
            "parking_restrictions": "* ParkingRestriction",
            "images": "* Image",
            "last_updated": "1 DateTime",
        },
        "Connector": {
            "id": "1 string(36)",
            "standard": "1 ConnectorType",
            "format": "1 ConnectorFormat",
            "power_type": "1 PowerType",
            "voltage": "1 int",
            "amperage": "1 int",
            "tariff_id": "? string(36)",
            "terms_and_conditions": "? URL",
            "last_updated": "1 DateTime",
        },
        "EnvironmentalImpact": {"source": "1 EnvironmentalImpactCategory", "amount": "1 number"},
        # One of twentyfourseven / regular_hours (checked in _check_object).
        "Hours": {
            "regular_hours": "* RegularHours",
            "twentyfourseven": "? boolean",
            "exceptional_openings": "* ExceptionalPeriod",
            "exceptional_closings": "* ExceptionalPeriod",
        },
        "Image": {
            "url": "1 URL",
            "thumbnail": "? URL",
            "category": "1 ImageCategory",
            "type": "1 string(4)",
            "width": "? int",
            "height": "? int",
        },
        "Session": {
            "id": "1 string(36)",
            "start_datetime": "1 DateTime",
            "end_datetime": "? DateTime",
            "kwh": "1 number",
            "auth_id": "1 string(36)",
            "auth_method": "1 AuthMethod",
            "location": "1 Location",
            "meter_id": "? string(255)",
            "currency": "1 string(3)",
            "charging_periods": "* ChargingPeriod",
            "total_cost": "? number",
            "status": "1 SessionStatus",
            "last_updated": "1 DateTime",
        },
        "ChargingPeriod": {"start_date_time": "1 DateTime", "dimensions": "+ CdrDimension"},
        "CDR": {
            "id": "1 CiString(36)",
            "start_date_time": "1 DateTime",
            "stop_date_time": "1 DateTime",
            "auth_id": "1 string(36)",
            "auth_method": "1 AuthMethod",
            "location": "1 Location",
            "meter_id": "? string(255)",
            "currency": "1 string(3)",
            "tariffs": "* Tariff",
            "charging_periods": "+ ChargingPeriod",
            "total_cost": "1 number",
            "total_energy": "1 number",
            "total_time": "1 number",
            "total_parking_time": "? number",
            "remark": "? string(255)",
            "last_updated": "1 DateTime",
        },
        "Tariff": {
            "id": "1 string(36)",
            "currency": "1 string(3)",
            "tariff_alt_text": "* DisplayText",
            "tariff_alt_url": "? URL",
            "elements": "+ TariffElement",
            "energy_mix": "? EnergyMix",
            "last_updated": "1 DateTime",
        },
        "PriceComponent": {"type": "1 TariffDimensionType", "price": "1 number", "step_size": "1 int"},
        "TariffRestrictions": {
            "start_time": "? Time",
            "end_time": "? Time",
            "start_date": "? Date",
            "end_date": "? Date",
            "min_kwh": "? number",
            "max_kwh": "? number",
            "min_power": "? number",
            "max_power": "? number",
            "min_duration": "? int",
            "max_duration": "? int",
            "day_of_week": "* DayOfWeek",
        },
        "Token": {
            "uid": "1 string(36)",
            "type": "1 TokenType",
            "auth_id": "1 string(36)",
            "visual_number": "? string(64)",
            "issuer": "1 string(64)",
            "valid": "1 boolean",
            "whitelist": "1 WhitelistType",
            "language": "? string(2)",
            "last_updated": "1 DateTime",
        },
        "AuthorizationInfo": {"allowed": "1 Allowed", "location": "? LocationReferences", "info": "? DisplayText"},
        "LocationReferences": {
            "location_id": "1 string(39)",
            "evse_uids": "* string(39)",
            "connector_ids": "* string(36)",
        },
        "CommandResponse": {"result": "1 CommandResponseType"},
        "ReserveNow": {
            "response_url": "1 URL",
            "token": "1 Token",
            "expiry_date": "1 DateTime",
            "reservation_id": "1 int",
            "location_id": "1 string(39)",
            "evse_uid": "? string(39)",
        },
        "StartSession": {
            "response_url": "1 URL",
            "token": "1 Token",
            "location_id": "1 string(39)",
            "evse_uid": "? string(39)",
        },
        "StopSession": {"response_url": "1 URL", "session_id": "1 string(36)"},
        "UnlockConnector": {
            "response_url": "1 URL",
            "location_id": "1 string(39)",
            "evse_uid": "1 string(39)",
            "connector_id": "1 string(36)",
        },
        "Credentials": {
            "token": "1 string(64)",
            "url": "1 URL",
            "business_details": "1 BusinessDetails",
            "party_id": "1 string(3)",
            "country_code": "1 string(2)",
        },
        "Endpoint": {"identifier": "1 string(32)", "url": "1 URL"},
    },
    # 2.2.1: mod_locations (errata), mod_sessions, mod_cdrs (errata), mod_tariffs (errata), mod_tokens,
    # mod_commands, credentials, version_information_endpoint, types.
    "2.2.1": {
        **_SHARED,
        "Location": {
            "country_code": "1 CiString(2)",
            "party_id": "1 CiString(3)",
            "id": "1 CiString(36)",
            "publish": "1 boolean",
            "publish_allowed_to": "* PublishTokenType",
            "name": "? string(255)",
            "address": "1 string(255)",
            "city": "1 string(45)",
            "postal_code": "? string(10)",
            "state": "? string(45)",
            "country": "1 string(3)",
            "coordinates": "1 GeoLocation",
            "related_locations": "* AdditionalGeoLocation",
            "parking_type": "? ParkingType",
            "evses": "* EVSE",
            "directions": "* DisplayText",
            "operator": "? BusinessDetails",
            "suboperator": "? BusinessDetails",
            "owner": "? BusinessDetails",
            "facilities": "* Facility",
            "time_zone": "1 string(255)",
            "opening_times": "? Hours",
            "charging_when_closed": "? boolean",
            "images": "* Image",
            "energy_mix": "? EnergyMix",
            "last_updated": "1 DateTime",
        },
        "EVSE": {
            "uid": "1 CiString(36)",
            "evse_id": "? CiString(48)",
            "status": "1 Status",
            "status_schedule": "* StatusSchedule",
            "capabilities": "* Capability",
            "connectors": "+ Connector",
            "floor_level": "? string(4)",
            "coordinates": "? GeoLocation",
            "physical_reference": "? string(16)",
            "directions": "* DisplayText",
            "parking_restrictions": "* ParkingRestriction",
            "images": "* Image",
            "last_updated": "1 DateTime",
        },
        "Connector": {
            "id": "1 CiString(36)",
            "standard": "1 ConnectorType",
            "format": "1 ConnectorFormat",
            "power_type": "1 PowerType",
            "max_voltage": "1 int",
            "max_amperage": "1 int",
            "max_electric_power": "? int",
            "tariff_ids": "* CiString(36)",
            "terms_and_conditions": "? URL",
            "last_updated": "1 DateTime",
        },
        "EnvironmentalImpact": {"category": "1 EnvironmentalImpactCategory", "amount": "1 number"},
        "Hours": {
            "twentyfourseven": "1 boolean",
            "regular_hours": "* RegularHours",
            "exceptional_openings": "* ExceptionalPeriod",
            "exceptional_closings": "* ExceptionalPeriod",
        },
        "Image": {
            "url": "1 URL",
            "thumbnail": "? URL",
            "category": "1 ImageCategory",
            "type": "1 CiString(4)",
            "width": "? int",
            "height": "? int",
        },
        "PublishTokenType": {
            "uid": "? CiString(36)",
            "type": "? TokenType",
            "visual_number": "? string(64)",
            "issuer": "? string(64)",
            "group_id": "? CiString(36)",
        },
        "Price": {"excl_vat": "1 number", "incl_vat": "? number"},
        "Session": {
            "country_code": "1 CiString(2)",
            "party_id": "1 CiString(3)",
            "id": "1 CiString(36)",
            "start_date_time": "1 DateTime",
            "end_date_time": "? DateTime",
            "kwh": "1 number",
            "cdr_token": "1 CdrToken",
            "auth_method": "1 AuthMethod",
            "authorization_reference": "? CiString(36)",
            "location_id": "1 CiString(36)",
            "evse_uid": "1 CiString(36)",
            "connector_id": "1 CiString(36)",
            "meter_id": "? string(255)",
            "currency": "1 string(3)",
            "charging_periods": "* ChargingPeriod",
            "total_cost": "? Price",
            "status": "1 SessionStatus",
            "last_updated": "1 DateTime",
        },
        "CdrToken": {
            "country_code": "1 CiString(2)",
            "party_id": "1 CiString(3)",
            "uid": "1 CiString(36)",
            "type": "1 TokenType",
            "contract_id": "1 CiString(36)",
        },
        "ChargingPeriod": {
            "start_date_time": "1 DateTime",
            "dimensions": "+ CdrDimension",
            "tariff_id": "? CiString(36)",
        },
        "CDR": {
            "country_code": "1 CiString(2)",
            "party_id": "1 CiString(3)",
            "id": "1 CiString(39)",
            "start_date_time": "1 DateTime",
            "end_date_time": "1 DateTime",
            "session_id": "? CiString(36)",
            "cdr_token": "1 CdrToken",
            "auth_method": "1 AuthMethod",
            "authorization_reference": "? CiString(36)",
            "cdr_location": "1 CdrLocation",
            "meter_id": "? string(255)",
            "currency": "1 string(3)",
            "tariffs": "* Tariff",
            "charging_periods": "+ ChargingPeriod",
            "signed_data": "? SignedData",
            "total_cost": "1 Price",
            "total_fixed_cost": "? Price",
            "total_energy": "1 number",
            "total_energy_cost": "? Price",
            "total_time": "1 number",
            "total_time_cost": "? Price",
            "total_parking_time": "? number",
            "total_parking_cost": "? Price",
            "total_reservation_cost": "? Price",
            "remark": "? string(255)",
            "invoice_reference_id": "? CiString(39)",
            "credit": "? boolean",
            "credit_reference_id": "? CiString(39)",
            "home_charging_compensation": "? boolean",
            "last_updated": "1 DateTime",
        },
        "CdrLocation": {
            "id": "1 CiString(36)",
            "name": "? string(255)",
            "address": "1 string(45)",
            "city": "1 string(45)",
            "postal_code": "? string(10)",
            "state": "? string(20)",
            "country": "1 string(3)",
            "coordinates": "1 GeoLocation",
            "evse_uid": "1 CiString(36)",
            "evse_id": "1 CiString(48)",
            "connector_id": "1 CiString(36)",
            "connector_standard": "1 ConnectorType",
            "connector_format": "1 ConnectorFormat",
            "connector_power_type": "1 PowerType",
        },
        "SignedData": {
            "encoding_method": "1 CiString(36)",
            "encoding_method_version": "? int",
            "public_key": "? string(512)",
            "signed_values": "+ SignedValue",
            "url": "? string(512)",
        },
        "SignedValue": {"nature": "1 CiString(32)", "plain_data": "1 string(5000)", "signed_data": "1 string(5000)"},
        "Tariff": {
            "country_code": "1 CiString(2)",
            "party_id": "1 CiString(3)",
            "id": "1 CiString(36)",
            "currency": "1 string(3)",
            "type": "? TariffType",
            "tariff_alt_text": "* DisplayText",
            "tariff_alt_url": "? URL",
            "min_price": "? Price",
            "max_price": "? Price",
            "elements": "+ TariffElement",
            "start_date_time": "? DateTime",
            "end_date_time": "? DateTime",
            "energy_mix": "? EnergyMix",
            "last_updated": "1 DateTime",
        },
        "PriceComponent": {
            "type": "1 TariffDimensionType",
            "price": "1 number",
            "vat": "? number",
            "step_size": "1 int",
        },
        "TariffRestrictions": {
            "start_time": "? Time",
            "end_time": "? Time",
            "start_date": "? Date",
            "end_date": "? Date",
            "min_kwh": "? number",
            "max_kwh": "? number",
            "min_current": "? number",
            "max_current": "? number",
            "min_power": "? number",
            "max_power": "? number",
            "min_duration": "? int",
            "max_duration": "? int",
            "day_of_week": "* DayOfWeek",
            "reservation": "? ReservationRestrictionType",
        },
        "Token": {
            "country_code": "1 CiString(2)",
            "party_id": "1 CiString(3)",
            "uid": "1 CiString(36)",
            "type": "1 TokenType",
            "contract_id": "1 CiString(36)",
            "visual_number": "? string(64)",
            "issuer": "1 string(64)",
            "group_id": "? CiString(36)",
            "valid": "1 boolean",
            "whitelist": "1 WhitelistType",
            "language": "? string(2)",
            "default_profile_type": "? ProfileType",
            "energy_contract": "? EnergyContract",
            "last_updated": "1 DateTime",
        },
        "EnergyContract": {"supplier_name": "1 string(64)", "contract_id": "? string(64)"},
        "AuthorizationInfo": {
            "allowed": "1 AllowedType",
            "token": "1 Token",
            "location": "? LocationReferences",
            "authorization_reference": "? CiString(36)",
            "info": "? DisplayText",
        },
        "LocationReferences": {"location_id": "1 CiString(36)", "evse_uids": "* CiString(36)"},
        "CommandResponse": {"result": "1 CommandResponseType", "timeout": "1 int", "message": "* DisplayText"},
        "CommandResult": {"result": "1 CommandResultType", "message": "* DisplayText"},
        "CancelReservation": {"response_url": "1 URL", "reservation_id": "1 CiString(36)"},
        "ReserveNow": {
            "response_url": "1 URL",
            "token": "1 Token",
            "expiry_date": "1 DateTime",
            "reservation_id": "1 CiString(36)",
            "location_id": "1 CiString(36)",
            "evse_uid": "? CiString(36)",
            "authorization_reference": "? CiString(36)",
        },
        "StartSession": {
            "response_url": "1 URL",
            "token": "1 Token",
            "location_id": "1 CiString(36)",
            "evse_uid": "? CiString(36)",
            "connector_id": "? CiString(36)",
            "authorization_reference": "? CiString(36)",
        },
        "StopSession": {"response_url": "1 URL", "session_id": "1 CiString(36)"},
        "UnlockConnector": {
            "response_url": "1 URL",
            "location_id": "1 CiString(36)",
            "evse_uid": "1 CiString(36)",
            "connector_id": "1 CiString(36)",
        },
        "Credentials": {"token": "1 string(64)", "url": "1 URL", "roles": "+ CredentialsRole"},
        "CredentialsRole": {
            "role": "1 Role",
            "business_details": "1 BusinessDetails",
            "party_id": "1 CiString(3)",
            "country_code": "1 CiString(2)",
        },
        "Endpoint": {"identifier": "1 string(32)", "role": "1 InterfaceRole", "url": "1 URL"},
    },
}

_ENUMS_SHARED = {
    "ConnectorFormat": {"SOCKET", "CABLE"},
    "EnergySourceCategory": {"NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER"},
    "EnvironmentalImpactCategory": {"NUCLEAR_WASTE", "CARBON_DIOXIDE"},
    "ImageCategory": {"CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"},
    "ParkingRestriction": {"EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"},
    "Status": {"AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED"}
    | {"UNKNOWN"},
    "DayOfWeek": {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"},
    "TariffDimensionType": {"ENERGY", "FLAT", "PARKING_TIME", "TIME"},
    "WhitelistType": {"ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"},
    "VersionNumber": {"2.0", "2.1", "2.1.1", "2.2", "2.2.1"},
}
_CONNECTORS_211 = {
    "CHADEMO",
    *(f"DOMESTIC_{c}" for c in "ABCDEFGHIJKL"),
    "IEC_60309_2_single_16",
    "IEC_60309_2_three_16",
    "IEC_60309_2_three_32",
    "IEC_60309_2_three_64",
    "IEC_62196_T1",
    "IEC_62196_T1_COMBO",
    "IEC_62196_T2",
    "IEC_62196_T2_COMBO",
    "IEC_62196_T3A",
    "IEC_62196_T3C",
    "TESLA_R",
    "TESLA_S",
}
_CAPABILITIES_211 = {
    "CHARGING_PROFILE_CAPABLE",
    "CREDIT_CARD_PAYABLE",
    "REMOTE_START_STOP_CAPABLE",
    "RESERVABLE",
    "RFID_READER",
    "UNLOCK_CAPABLE",
}
_FACILITIES_211 = {
    "HOTEL",
    "RESTAURANT",
    "CAFE",
    "MALL",
    "SUPERMARKET",
    "SPORT",
    "RECREATION_AREA",
    "NATURE",
    "MUSEUM",
    "BUS_STOP",
    "TAXI_STAND",
    "TRAIN_STATION",
    "AIRPORT",
    "CARPOOL_PARKING",
    "FUEL_STATION",
    "WIFI",
}
ENUMS: dict[str, dict[str, set[str]]] = {
    "2.1.1": {
        **_ENUMS_SHARED,
        "Capability": _CAPABILITIES_211,
        "ConnectorType": _CONNECTORS_211,
        "Facility": _FACILITIES_211,
        "LocationType": {"ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT", "OTHER", "UNKNOWN"},
        "PowerType": {"AC_1_PHASE", "AC_3_PHASE", "DC"},
        "SessionStatus": {"ACTIVE", "COMPLETED", "INVALID", "PENDING"},
        "AuthMethod": {"AUTH_REQUEST", "WHITELIST"},
        "CdrDimensionType": {"ENERGY", "FLAT", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME"},
        "Allowed": {"ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"},
        "TokenType": {"OTHER", "RFID"},
        "CommandResponseType": {"NOT_SUPPORTED", "REJECTED", "ACCEPTED", "TIMEOUT", "UNKNOWN_SESSION"},
        "CommandType": {"RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"},
    },
    "2.2.1": {
        **_ENUMS_SHARED,
        "Capability": _CAPABILITIES_211
        | {
            "CHARGING_PREFERENCES_CAPABLE",
            "CHIP_CARD_SUPPORT",
            "CONTACTLESS_CARD_SUPPORT",
            "DEBIT_CARD_PAYABLE",
            "PED_TERMINAL",
            "START_SESSION_CONNECTOR_REQUIRED",
            "TOKEN_GROUP_CAPABLE",
        },
        "ConnectorType": _CONNECTORS_211
        | {"CHAOJI", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC", "PANTOGRAPH_BOTTOM_UP"}
        | {"PANTOGRAPH_TOP_DOWN", "NEMA_5_20", "NEMA_6_30", "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30"}
        | {"NEMA_14_50"},
        "Facility": _FACILITIES_211 | {"BIKE_SHARING", "TRAM_STOP", "METRO_STATION", "PARKING_LOT"},
        "ParkingType": {"ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET"}
        | {"UNDERGROUND_GARAGE"},
        "PowerType": {"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"},
        "ProfileType": {"CHEAP", "FAST", "GREEN", "REGULAR"},
        "SessionStatus": {"ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"},
        "AuthMethod": {"AUTH_REQUEST", "COMMAND", "WHITELIST"},
        "CdrDimensionType": {"CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT", "MIN_CURRENT"}
        | {"MAX_POWER", "MIN_POWER", "PARKING_TIME", "POWER", "RESERVATION_TIME", "STATE_OF_CHARGE", "TIME"},
        "ReservationRestrictionType": {"RESERVATION", "RESERVATION_EXPIRES"},
        "TariffType": {"AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"},
        "AllowedType": {"ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"},
        "TokenType": {"AD_HOC_USER", "APP_USER", "OTHER", "RFID"},
        "CommandResponseType": {"NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"},
        "CommandResultType": {"ACCEPTED", "CANCELED_RESERVATION", "EVSE_OCCUPIED", "EVSE_INOPERATIVE", "FAILED"}
        | {"NOT_SUPPORTED", "REJECTED", "TIMEOUT", "UNKNOWN_RESERVATION"},
        "CommandType": {"CANCEL_RESERVATION", "RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR"},
        "Role": {"CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"},
        "InterfaceRole": {"SENDER", "RECEIVER"},
    },
}

_FIELD = re.compile(r"^(?P<card>[1?*+]) (?P<kind>\w+)(?:\((?P<size>\d+)\))?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?$")
_TIME = re.compile(r"^([0-1][0-9]|2[0-3]):[0-5][0-9]$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# GeoLocation regexes: exactly six decimals in 2.1.1, five to seven in 2.2.1.
_COORDINATES = {
    "2.1.1": (re.compile(r"^-?[0-9]{1,2}\.[0-9]{6}$"), re.compile(r"^-?[0-9]{1,3}\.[0-9]{6}$")),
    "2.2.1": (re.compile(r"^-?[0-9]{1,2}\.[0-9]{5,7}$"), re.compile(r"^-?[0-9]{1,3}\.[0-9]{5,7}$")),
}
#: Lists a PATCH merges by an id rather than replaces: it lists only the objects it changes.
_MERGED_BY = {"evses": "uid", "connectors": "id"}


def _fields(version: str, cls: str) -> list[tuple[str, str, str, int | None]]:
    parsed = []
    for name, text in SCHEMAS[version][cls].items():
        match = _FIELD.match(text)
        parsed.append((name, match["card"], match["kind"], int(match["size"]) if match["size"] else None))
    return parsed


def check(version: str, cls: str, value: Any, *, partial: bool = False, path: str = "") -> list[str]:
    """What is wrong with `value` as a `cls` of `version`, one message per field, naming it by its path
    (`evses[0].connectors[1].standard`). `partial`: a PATCH body, whose required fields may be absent
    (also inside the lists a PATCH merges). Unknown fields are not errors (both specs: ignore them)."""
    if not isinstance(value, dict):
        return [f"{path or cls}: must be an object"]
    errors = []
    for name, card, kind, size in _fields(version, cls):
        here = f"{path}.{name}" if path else name
        item = value.get(name)
        if item is None:
            if card in "1+" and not partial:
                errors.append(f"{here} is required")
            continue
        if card in "*+":
            if not isinstance(item, list):
                errors.append(f"{here}: must be a list")
                continue
            if card == "+" and not item and not partial:
                errors.append(f"{here}: must hold at least one {kind}")
            for index, element in enumerate(item):
                errors += _check_value(
                    version, kind, size, element, f"{here}[{index}]", partial=partial and name in _MERGED_BY
                )
        else:
            errors += _check_value(version, kind, size, item, here, partial=False)
    one_of = value.get("twentyfourseven") is None and not value.get("regular_hours")
    if cls == "Hours" and version == "2.1.1" and one_of and not partial:
        errors.append(f"{path or 'opening_times'}: one of twentyfourseven and regular_hours is required")
    return errors


def _check_value(version: str, kind: str, size: int | None, value: Any, path: str, *, partial: bool) -> list[str]:
    shown = repr(value)[:60]
    if kind in SCHEMAS[version]:
        return check(version, kind, value, partial=partial, path=path)
    if kind in ENUMS[version]:
        return [] if value in ENUMS[version][kind] else [f"{path}: {shown} is not a {kind} of OCPI {version}"]
    if kind in ("string", "CiString", "URL"):
        limit = size or 255
        if not isinstance(value, str):
            return [f"{path}: {shown} is not a string"]
        if len(value) > limit:
            return [f"{path}: longer than {limit} characters"]
        if kind == "CiString" and not (value.isascii() and value.isprintable()):
            return [f"{path}: {shown} is not printable ASCII"]
        return []
    if kind in ("DateTime", "Time", "Date", "Latitude", "Longitude"):
        pattern = {"DateTime": _DATETIME, "Time": _TIME, "Date": _DATE}.get(kind)
        if pattern is None:
            pattern = _COORDINATES[version][kind == "Longitude"]
        if isinstance(value, str) and pattern.match(value):
            return []
        return [f"{path}: {shown} is not a {kind} of OCPI {version}"]
    if kind == "int":
        return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{path}: {shown} is not an int"]
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: {shown} is not a number"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: {shown} is not a boolean"]
    raise AssertionError(f"unknown type {kind} in the sim's schema")


def with_nulls(version: str, cls: str, value: Any) -> Any:
    """`value` with every optional field it lacks set to null, down the object tree (in place)."""
    if not isinstance(value, dict) or cls not in SCHEMAS[version]:
        return value
    for name, card, kind, _ in _fields(version, cls):
        item = value.get(name)
        if item is None:
            if card in "?*":
                value[name] = None
        elif kind in SCHEMAS[version]:
            for element in item if isinstance(item, list) else [item]:
                with_nulls(version, kind, element)
    return value


def _require(version: str, cls: str | None, value: dict, parts: list[str], trail: str = "") -> list[str]:
    """`parts` (a field path) must be present, not null, below `value`, walking through list levels; an
    absent list on the way (a location without EVSEs) holds nothing to require."""
    name, rest = parts[0], parts[1:]
    here = f"{trail}.{name}" if trail else name
    known = {n: (c, k) for n, c, k, _ in _fields(version, cls)} if cls else {}
    card, kind = known.get(name, ("?", None))
    item = value.get(name)
    if item is None:
        return [] if rest and card in "*+" else [f"{here} is required by this partner"]
    if not rest:
        return []
    nested = kind if kind in SCHEMAS[version] else None
    if not isinstance(item, list):
        return _require(version, nested, item, rest, here) if isinstance(item, dict) else []
    errors = []
    for index, element in enumerate(item):
        if isinstance(element, dict):
            errors += _require(version, nested, element, rest, f"{here}[{index}]")
    return errors


# -- small helpers -----------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> datetime:
    """An OCPI DateTime (zone designator optional: UTC) as an aware datetime; ValueError otherwise."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise ValueError(f"{value!r} is not an OCPI DateTime")
    moment = datetime.fromisoformat(value.removesuffix("Z"))
    return moment.replace(tzinfo=UTC)


def _b64decode(value: str) -> str | None:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded and decoded.isprintable() else None


def _naive(value: Any) -> Any:
    """Every `...Z` DateTime in `value` without its zone."""
    if isinstance(value, dict):
        return {k: _naive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_naive(v) for v in value]
    if isinstance(value, str) and value.endswith("Z") and _DATETIME.match(value):
        return value[:-1]
    return value


_ID_FIELDS = {"id", "uid", "location_id", "evse_uid", "connector_id", "session_id", "tariff_id"}
_ID_LISTS = {"tariff_ids", "evse_uids"}


def _lower_ids(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _lower_ids(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            if name in _ID_FIELDS and isinstance(item, str):
                value[name] = item.lower()
            elif name in _ID_LISTS and isinstance(item, list):
                value[name] = [i.lower() if isinstance(i, str) else i for i in item]
            else:
                _lower_ids(item)


def _same(a: Any, b: Any) -> bool:
    """CiString equality (ids, country codes, party ids)."""
    return isinstance(a, str) and isinstance(b, str) and a.upper() == b.upper()


def _merge(target: dict, patch: dict) -> None:
    """A PATCH onto a stored object: fields replace, except lists merged by id (_MERGED_BY)."""
    for name, value in patch.items():
        key = _MERGED_BY.get(name)
        if key and isinstance(value, list) and isinstance(target.get(name), list):
            for item in value:
                existing = next(
                    (o for o in target[name] if isinstance(item, dict) and _same(o.get(key), item.get(key))), None
                )
                if existing is None:
                    target[name].append(copy.deepcopy(item))
                else:
                    _merge(existing, item)
        else:
            target[name] = copy.deepcopy(value)


def _stamp_tree(value: Any, stamp: str) -> None:
    """Set `last_updated` on an object and every location-tree object below it."""
    if isinstance(value, dict):
        if "last_updated" in value:
            value["last_updated"] = stamp
        for name in ("evses", "connectors"):
            for item in value.get(name) or []:
                _stamp_tree(item, stamp)


# -- quirks --------------------------------------------------------------------------------------------------


@dataclass
class Quirks:
    """The sim's deviations (documented with their sources in the module docstring); all off by default."""

    nulls_for_optionals: bool = False
    naive_timestamps: bool = False
    http_403_for_bad_token: bool = False
    status_3000_for_wrong_token_form: bool = False
    token_form: str | None = None
    no_link: bool = False
    broken_link: str | None = None
    page_caps: dict[str, int] = field(default_factory=dict)
    list_for_object: bool = False
    http_status_for_invalid: int | None = None
    no_patch: dict[str, tuple[int, int]] = field(default_factory=dict)
    no_credentials_put: bool = False
    lower_case_ids: bool = False
    ok_for_created: bool = False
    routing_headers: str | None = None
    loose_version: bool = False
    required_fields: frozenset[str] = frozenset()
    extension_fields: tuple[str, ...] = ()
    own_last_updated: bool = False
    unknown_object: tuple[int, int] | None = None

    #: What a quirk named without a value means.
    DEFAULTS = {
        "broken_link": "offset",
        "http_status_for_invalid": 422,
        "no_patch": ("locations", "sessions", "tariffs", "tokens"),
        "routing_headers": "required",
        "extension_fields": ("gireve_id", "authorization_id"),
        "unknown_object": (200, 2001),
    }

    @classmethod
    def of(cls, quirks: Quirks | Iterable[str] | dict[str, Any] | None) -> Quirks:
        """Quirks from names (`{"no_link"}`), names with values (`{"page_caps": {"cdrs": 20}}`) or a Quirks."""
        if isinstance(quirks, Quirks):
            return quirks
        given = dict(quirks) if isinstance(quirks, dict) else {name: True for name in quirks or ()}
        made = cls()
        known = {f.name for f in fields(cls)}
        for name, value in given.items():
            if name not in known:
                raise ValueError(f"no quirk named {name!r}; quirks: {', '.join(sorted(known))}")
            if value is True and name in cls.DEFAULTS:
                value = cls.DEFAULTS[name]
            elif value is True and name in ("token_form", "page_caps", "required_fields"):
                raise ValueError(f"quirk {name!r} needs a value")
            setattr(made, name, value)
        made.no_patch = _patch_refusals(made.no_patch)
        made.required_fields = frozenset(made.required_fields)
        made.extension_fields = tuple(made.extension_fields)
        return made


def _patch_refusals(value) -> dict[str, tuple[int, int]]:
    if isinstance(value, dict):
        return {m: (v if isinstance(v, tuple) else (405, v)) for m, v in value.items()}
    return {module: (405, 2000) for module in value}


# -- what the sim records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One request the sim received and what it answered."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON; the raw bytes when it was not JSON; None when empty
    http_status: int
    answer: Any  # the envelope it answered

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class Sent:
    """One request the sim made and what came back."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any
    http_status: int | None  # None: no answer (connection failed)
    answer: Any


class SimError(Exception):
    """A request the sim made was not answered as the spec says; the message says what came back."""


class NoSuchVersion(SimError):
    """The other side does not offer the sim's version."""


@dataclass
class Peer:
    """The platform the sim is connected to: how to call it and who it is."""

    token: str  # the credentials token the sim sends
    versions_url: str
    endpoints: list[dict]
    roles: list[dict]  # CredentialsRole-shaped, 2.1.1 ones made from the flat fields

    def party(self, role: str) -> tuple[str, str] | None:
        role_entry = next((r for r in self.roles if r.get("role") == role), None) or (self.roles or [None])[0]
        return (role_entry["country_code"], role_entry["party_id"]) if role_entry else None

    def parties(self) -> set[tuple[str, str]]:
        return {(r["country_code"].upper(), r["party_id"].upper()) for r in self.roles}


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    token: str = ""
    token_kind: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class _Reply:
    http_status: int
    envelope: dict | None
    headers: dict[str, str] = field(default_factory=dict)


_ABSENT = object()
_ROUTING = ("OCPI-to-country-code", "OCPI-to-party-id", "OCPI-from-country-code", "OCPI-from-party-id")
_FUNCTIONAL = {"locations", "tariffs", "sessions", "cdrs", "tokens", "commands"}
_KINDS = {"locations": "Location", "tariffs": "Tariff", "sessions": "Session", "cdrs": "CDR", "tokens": "Token"}
_COMMAND_OBJECTS = {
    "START_SESSION": "StartSession",
    "STOP_SESSION": "StopSession",
    "RESERVE_NOW": "ReserveNow",
    "UNLOCK_CONNECTOR": "UnlockConnector",
    "CANCEL_RESERVATION": "CancelReservation",
}
#: Modules per role: (interfaces it sends from, interfaces it receives on), as 2.2.1 version details name them.
_INTERFACES = {
    "CPO": {"locations": "SENDER", "tariffs": "SENDER", "sessions": "SENDER", "cdrs": "SENDER"}
    | {"tokens": "RECEIVER", "commands": "RECEIVER"},
    "EMSP": {"locations": "RECEIVER", "tariffs": "RECEIVER", "sessions": "RECEIVER", "cdrs": "RECEIVER"}
    | {"tokens": "SENDER", "commands": "SENDER"},
}
_COUNTRIES = {"NL": "NLD", "DE": "DEU", "BE": "BEL", "FR": "FRA", "GB": "GBR", "AT": "AUT", "CH": "CHE"}
_PLACES = [
    ("Amsterdam", "1012", 52.3731, 4.8922, "Europe/Amsterdam"),
    ("Utrecht", "3511", 52.0907, 5.1214, "Europe/Amsterdam"),
    ("Rotterdam", "3011", 51.9225, 4.4792, "Europe/Amsterdam"),
    ("Den Haag", "2511", 52.0705, 4.3007, "Europe/Amsterdam"),
    ("Eindhoven", "5611", 51.4416, 5.4697, "Europe/Amsterdam"),
    ("Groningen", "9711", 53.2194, 6.5665, "Europe/Amsterdam"),
]
_STREETS = ["Stationsplein", "Kerkstraat", "Marktplein", "Havenweg", "Dorpsstraat", "Parkweg", "Schoolstraat"]


class PartnerSim:
    """One OCPI partner platform on 127.0.0.1 (see the module docstring); stop() it when done."""

    def __init__(
        self,
        role: str = "CPO",
        version: str = "2.2.1",
        *,
        country_code: str = "NL",
        party_id: str = "SIM",
        name: str = "Sim Charging",
        quirks: Quirks | Iterable[str] | dict[str, Any] | None = None,
        max_page_size: int = 50,
        seed: int = 1,
    ):
        role = role.upper()
        if role not in _INTERFACES:
            raise ValueError("role must be CPO or EMSP")
        if version not in SCHEMAS:
            raise ValueError(f"version must be one of {', '.join(SCHEMAS)}")
        self.role, self.version = role, version
        self.country_code, self.party_id, self.name = country_code, party_id, name
        self.quirks = Quirks.of(quirks)
        self.max_page_size = max_page_size
        #: The charge point's answer to an accepted command (None: it never answers), after `command_delay` s.
        self.command_result: str | None = "ACCEPTED"
        self.command_delay = 0.2
        self.command_timeout = 30
        #: The authorization answer; None: ALLOWED for a valid token, BLOCKED for another.
        self.authorize_allowed: str | None = None
        self.peer: Peer | None = None
        self.errors: list[str] = []
        self.command_results: dict[str, Any] = {}  # our response_url uid -> the result posted to it
        self.authorizations: list[dict] = []
        self.commands: list[dict] = []  # commands it received (CPO)
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._tokens: dict[str, str] = {}  # credentials token -> "A" (registration) or "ACCESS"
        self._data: dict[str, list[dict]] = {m: [] for m in _KINDS}
        self._held: dict[str, dict[tuple, dict]] = {m: {} for m in _KINDS}
        self._counters = {m: itertools.count(1) for m in _KINDS}
        self._pending_commands: set[str] = set()
        self._requests: list[Recorded] = []
        self._sent: list[Sent] = []
        self._timers: list[threading.Timer] = []
        self._clock = _now() - timedelta(days=1)
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    # -- lifecycle and addresses -------------------------------------------------------------------------

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> PartnerSim:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<PartnerSim {self.role} {self.version} {self.country_code}*{self.party_id} at {self.url}>"

    @property
    def _segment(self) -> str:
        return self.role.lower()

    @property
    def versions_url(self) -> str:
        return f"{self.url}/ocpi/versions"

    @property
    def details_url(self) -> str:
        return f"{self.url}/ocpi/{self._segment}/{self.version}"

    def endpoint_url(self, module: str) -> str:
        return f"{self.details_url}/{module}"

    @property
    def token_form(self) -> str:
        """The form of the credentials token it accepts and writes: its version's, unless a quirk says."""
        return self.quirks.token_form or ("BASE64" if self.version == "2.2.1" else "RAW")

    @property
    def registered(self) -> bool:
        return self.peer is not None

    # -- what happened ------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)

    def requests_to(self, method: str | None = None, path: str = "") -> list[Recorded]:
        """Recorded requests with this method (any if None) whose path contains `path`."""
        return [r for r in self.requests if (method is None or r.method == method) and path in r.path]

    def clear_records(self) -> None:
        with self._lock:
            self._requests.clear()
            self._sent.clear()

    # -- credentials tokens ---------------------------------------------------------------------------------

    def _new_token(self, kind: str) -> str:
        token = f"sim-{uuid.uuid4().hex}"  # '-' is outside the Base64 alphabet: the raw form never decodes
        with self._lock:
            self._tokens[token] = kind
        return token

    def issue_token_a(self) -> str:
        """A fresh token A for the other side to register with (given to it out of band)."""
        return self._new_token("A")

    def accepts(self, token: str) -> bool:
        """Whether a request carrying this credentials token (in the sim's form) would be let in."""
        with self._lock:
            return token in self._tokens

    def _encode(self, token: str) -> str:
        return base64.b64encode(token.encode()).decode() if self.token_form == "BASE64" else token

    # -- own data: builders ------------------------------------------------------------------------------

    def _tick(self) -> str:
        """The next creation time: one second apart, starting a day ago, so creation order is date order."""
        with self._lock:
            self._clock += timedelta(seconds=1)
            return _stamp(self._clock)

    def objects(self, module: str) -> list[dict]:
        """The sim's own objects of a sender module, as stored (ids as created), oldest first."""
        with self._lock:
            return copy.deepcopy(self._data[module])

    def _own(self, module: str, object_id: str, key: str = "id") -> dict | None:
        return next((o for o in self._data[module] if _same(o.get(key), object_id)), None)

    def touch(self, module: str, object_id: str, **changes: Any) -> dict:
        """Change one of its own objects (id case-insensitive); last_updated becomes now."""
        with self._lock:
            found = self._own(module, object_id, "uid" if module == "tokens" else "id")
            if found is None:
                raise KeyError(f"no {module} {object_id!r}")
            found.update(copy.deepcopy(changes))
            found["last_updated"] = _stamp(_now())
            return copy.deepcopy(found)

    def _owner(self) -> dict:
        return {"country_code": self.country_code, "party_id": self.party_id} if self.version == "2.2.1" else {}

    def _place(self) -> dict:
        """A street address in a Dutch city, coordinates with six decimals (valid in both versions)."""
        city, postal, lat, lon, zone = self._rng.choice(_PLACES)
        return {
            "address": f"{self._rng.choice(_STREETS)} {self._rng.randint(1, 120)}",
            "city": city,
            "postal_code": f"{postal} {self._rng.choice('ABCDEFGH')}{self._rng.choice('JKLMNPRS')}",
            "coordinates": {
                "latitude": f"{lat + self._rng.uniform(-0.02, 0.02):.6f}",
                "longitude": f"{lon + self._rng.uniform(-0.02, 0.02):.6f}",
            },
            "time_zone": zone,
        }

    def _connector(self, number: int, stamp: str, dc: bool, tariff_id: str | None) -> dict:
        connector = {
            "id": str(number),
            "standard": "IEC_62196_T2_COMBO" if dc else "IEC_62196_T2",
            "format": "CABLE" if dc else "SOCKET",
            "power_type": "DC" if dc else "AC_3_PHASE",
        }
        voltage, amperage = (500, 200) if dc else (230, 32)
        if self.version == "2.2.1":
            connector.update(max_voltage=voltage, max_amperage=amperage)
            connector["max_electric_power"] = 100000 if dc else 22000
            if tariff_id:
                connector["tariff_ids"] = [tariff_id]
        else:
            connector.update(voltage=voltage, amperage=amperage)
            if tariff_id:
                connector["tariff_id"] = tariff_id
        connector["last_updated"] = stamp
        return connector

    def _evse(self, location_number: int, location_id: str, number: int, connectors: int, stamp: str) -> dict:
        tariffs = self._data["tariffs"]
        tariff_id = tariffs[0]["id"] if tariffs else None
        dc = number % 4 == 0  # every fourth EVSE a fast charger
        separator = "*" if self.version == "2.2.1" else "-"
        evse = {
            "uid": f"{location_id}-{number}",
            "evse_id": separator.join((self.country_code, self.party_id, f"E{location_number:05d}{number}")),
            "status": self._rng.choice(["AVAILABLE", "AVAILABLE", "AVAILABLE", "CHARGING", "OUTOFORDER"]),
            "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "UNLOCK_CAPABLE"],
            "connectors": [self._connector(k, stamp, dc, tariff_id) for k in range(1, connectors + 1)],
            "physical_reference": str(number),
            "last_updated": stamp,
        }
        if number == 1:
            evse["parking_restrictions"] = ["EV_ONLY"]
        return evse

    def add_locations(self, n: int, evses: int = 4, connectors: int = 2) -> list[dict]:
        """n locations of its own (CPO), each with `evses` EVSEs of `connectors` connectors."""
        made = []
        with self._lock:
            for _ in range(n):
                number = next(self._counters["locations"])
                location_id = f"LOC-{number:04d}"
                stamp = self._tick()
                place = self._place()
                location = {
                    **self._owner(),
                    "id": location_id,
                    "name": f"{place['city']} {place['address']}",
                    "address": place["address"],
                    "city": place["city"],
                    "postal_code": place["postal_code"],
                    "country": _COUNTRIES.get(self.country_code, "NLD"),
                    "coordinates": place["coordinates"],
                    "evses": [self._evse(number, location_id, j, connectors, stamp) for j in range(1, evses + 1)],
                    "operator": {"name": self.name, "website": f"https://www.{self.party_id.lower()}.example.com"},
                    "facilities": [self._rng.choice(["CAFE", "SUPERMARKET", "TRAIN_STATION", "WIFI"])],
                    "time_zone": place["time_zone"],
                    "opening_times": {"twentyfourseven": True},
                    "charging_when_closed": True,
                    "last_updated": stamp,
                }
                if self.version == "2.2.1":
                    location.update(publish=True, parking_type="ON_STREET")
                else:
                    location["type"] = "ON_STREET"
                self._data["locations"].append(location)
                made.append(copy.deepcopy(location))
        return made

    def add_tokens(self, n: int, *, whitelist: str = "ALLOWED", valid: bool = True) -> list[dict]:
        """n RFID tokens of its own (eMSP)."""
        made = []
        with self._lock:
            for _ in range(n):
                number = next(self._counters["tokens"])
                contract_id = f"{self.country_code}-{self.party_id}-C{number:08d}-{'ABCDEFGHJK'[number % 10]}"
                token = {
                    **self._owner(),
                    "uid": f"{0x04A1B000 + number:08X}",
                    "type": "RFID",
                    ("contract_id" if self.version == "2.2.1" else "auth_id"): contract_id,
                    "visual_number": f"{self.country_code}-{self.party_id}-{number:06d}",
                    "issuer": self.name,
                    "valid": valid,
                    "whitelist": whitelist,
                    "language": "nl",
                    "last_updated": self._tick(),
                }
                self._data["tokens"].append(token)
                made.append(copy.deepcopy(token))
        return made

    def add_tariffs(self, n: int) -> list[dict]:
        """n tariffs of its own (CPO): an energy price, and a time price during the day."""
        made = []
        with self._lock:
            for _ in range(n):
                number = next(self._counters["tariffs"])
                energy = {"type": "ENERGY", "price": round(0.25 + 0.01 * (number % 10), 2), "step_size": 1}
                parking = {"type": "PARKING_TIME", "price": 2.0, "step_size": 300}
                if self.version == "2.2.1":
                    energy["vat"] = parking["vat"] = 21.0
                tariff = {
                    **self._owner(),
                    "id": f"TARIFF-{number:03d}",
                    "currency": "EUR",
                    "tariff_alt_text": [{"language": "en", "text": "Standard tariff"}],
                    "elements": [
                        {"price_components": [energy]},
                        {
                            "price_components": [parking],
                            "restrictions": {"start_time": "09:00", "end_time": "18:00"},
                        },
                    ],
                    "last_updated": self._tick(),
                }
                if self.version == "2.2.1":
                    tariff["type"] = "REGULAR"
                self._data["tariffs"].append(tariff)
                made.append(copy.deepcopy(tariff))
        return made

    def _token_owner(self) -> tuple[str, str]:
        """The eMSP party of the drivers charging at the sim: the connected eMSP's, else a fixed one."""
        return (self.peer.party("EMSP") if self.peer else None) or ("DE", "EMS")

    def _charge(self, number: int) -> dict:
        """Where and by whom charge number `number` happens, and its figures."""
        if not self._data["locations"]:
            self.add_locations(1)
        location = self._data["locations"][(number - 1) % len(self._data["locations"])]
        evse = location["evses"][(number - 1) % len(location["evses"])]
        connector = evse["connectors"][0]
        country_code, party_id = self._token_owner()
        stamp = self._tick()  # its record is written when the charge has ended
        start = parse_datetime(stamp) - timedelta(minutes=90)
        kwh = round(5 + 0.75 * (number % 40), 3)
        return {
            "location": location,
            "evse": evse,
            "connector": connector,
            "token": {
                "country_code": country_code,
                "party_id": party_id,
                "uid": f"{0x0B0C0000 + number:08X}",
                "type": "RFID",
                "contract_id": f"{country_code}-{party_id}-C{number:08d}-X",
            },
            "start": start,
            "end": start + timedelta(minutes=45),
            "stamp": stamp,
            "kwh": kwh,
            "cost": round(kwh * 0.30, 2),
        }

    def _session_location_211(self, charge: dict) -> dict:
        """A 2.1.1 session's or CDR's location: the location with only the EVSE and connector used."""
        location = copy.deepcopy(charge["location"])
        evse = copy.deepcopy(charge["evse"])
        evse["connectors"] = [copy.deepcopy(charge["connector"])]
        location["evses"] = [evse]
        return location

    def _periods(self, charge: dict) -> list[dict]:
        return [
            {
                "start_date_time": _stamp(charge["start"]),
                "dimensions": [{"type": "ENERGY", "volume": charge["kwh"]}, {"type": "TIME", "volume": 0.75}],
            }
        ]

    def add_sessions(self, n: int, *, status: str = "COMPLETED") -> list[dict]:
        """n sessions at its own locations (added if it has none), of the connected eMSP's drivers."""
        made = []
        with self._lock:
            for _ in range(n):
                number = next(self._counters["sessions"])
                charge = self._charge(number)
                ended = status == "COMPLETED"
                if self.version == "2.2.1":
                    session = {
                        **self._owner(),
                        "id": f"SES-{number:05d}",
                        "start_date_time": _stamp(charge["start"]),
                        "kwh": charge["kwh"],
                        "cdr_token": charge["token"],
                        "auth_method": "WHITELIST",
                        "location_id": charge["location"]["id"],
                        "evse_uid": charge["evse"]["uid"],
                        "connector_id": charge["connector"]["id"],
                        "currency": "EUR",
                        "charging_periods": self._periods(charge),
                        "total_cost": {"excl_vat": charge["cost"], "incl_vat": round(charge["cost"] * 1.21, 2)},
                        "status": status,
                        "last_updated": charge["stamp"],
                    }
                    if ended:
                        session["end_date_time"] = _stamp(charge["end"])
                else:
                    session = {
                        "id": f"SES-{number:05d}",
                        "start_datetime": _stamp(charge["start"]),
                        "kwh": charge["kwh"],
                        "auth_id": charge["token"]["contract_id"],
                        "auth_method": "WHITELIST",
                        "location": self._session_location_211(charge),
                        "currency": "EUR",
                        "charging_periods": self._periods(charge),
                        "total_cost": charge["cost"],
                        "status": status,
                        "last_updated": charge["stamp"],
                    }
                    if ended:
                        session["end_datetime"] = _stamp(charge["end"])
                self._data["sessions"].append(session)
                made.append(copy.deepcopy(session))
        return made

    def add_cdrs(self, n: int) -> list[dict]:
        """n CDRs of finished charges at its own locations, of the connected eMSP's drivers."""
        made = []
        with self._lock:
            for _ in range(n):
                number = next(self._counters["cdrs"])
                charge = self._charge(number)
                location, evse, connector = charge["location"], charge["evse"], charge["connector"]
                common = {
                    "id": f"CDR-{number:05d}",
                    "start_date_time": _stamp(charge["start"]),
                    "auth_method": "WHITELIST",
                    "currency": "EUR",
                    "charging_periods": self._periods(charge),
                    "total_energy": charge["kwh"],
                    "total_time": 0.75,
                    "total_parking_time": 0.0,
                }
                if self._data["tariffs"]:
                    common["tariffs"] = [copy.deepcopy(self._data["tariffs"][0])]
                if self.version == "2.2.1":
                    cdr = {
                        **self._owner(),
                        **common,
                        "end_date_time": _stamp(charge["end"]),
                        "session_id": f"SES-{number:05d}",
                        "cdr_token": charge["token"],
                        "cdr_location": {
                            "id": location["id"],
                            "name": location["name"],
                            "address": location["address"],
                            "city": location["city"],
                            "postal_code": location["postal_code"],
                            "country": location["country"],
                            "coordinates": location["coordinates"],
                            "evse_uid": evse["uid"],
                            "evse_id": evse["evse_id"],
                            "connector_id": connector["id"],
                            "connector_standard": connector["standard"],
                            "connector_format": connector["format"],
                            "connector_power_type": connector["power_type"],
                        },
                        "total_cost": {"excl_vat": charge["cost"], "incl_vat": round(charge["cost"] * 1.21, 2)},
                    }
                else:
                    cdr = {
                        **common,
                        "stop_date_time": _stamp(charge["end"]),
                        "auth_id": charge["token"]["contract_id"],
                        "location": self._session_location_211(charge),
                        "total_cost": charge["cost"],
                    }
                cdr["last_updated"] = charge["stamp"]
                self._data["cdrs"].append(cdr)
                made.append(copy.deepcopy(cdr))
        return made

    # -- what it was sent ---------------------------------------------------------------------------------

    def held(self, module: str) -> list[dict]:
        """Every object its receiver of `module` holds, as stored."""
        with self._lock:
            return copy.deepcopy(list(self._held[module].values()))

    def holds(
        self, module: str, object_id: str, evse_uid: str | None = None, connector_id: str | None = None
    ) -> dict | None:
        """The object (or EVSE, or connector) its receiver holds under this id, any owner, ids
        case-insensitive; None when it holds none."""
        with self._lock:
            found = next((o for k, o in self._held[module].items() if _same(k[2], object_id)), None)
            if found is not None and evse_uid is not None:
                found = next((e for e in found.get("evses") or [] if _same(e.get("uid"), evse_uid)), None)
            if found is not None and connector_id is not None:
                found = next((c for c in found.get("connectors") or [] if _same(c.get("id"), connector_id)), None)
            return copy.deepcopy(found)

    def forget(self, module: str, object_id: str | None = None) -> None:
        """Drop what its receiver holds (one object, or all of the module): to play a partner that lost it."""
        with self._lock:
            for key in [k for k in self._held[module] if object_id is None or _same(k[2], object_id)]:
                del self._held[module][key]

    # -- calling the other side ----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        token: str | None = None,
        body: Any = None,
        kind: str | None = None,
        routed: bool = False,
        params: dict | None = None,
    ) -> tuple[int | None, Any]:
        """One request to the other side, in the sim's token form and with its quirks; recorded in `sent`."""
        if token is None:
            if self.peer is None:
                raise SimError("not registered: no token to call the other side with")
            token = self.peer.token
        headers = {"Authorization": f"Token {self._encode(token)}", "Accept": "application/json"}
        if self.version == "2.2.1":
            headers["X-Request-ID"] = str(uuid.uuid4())
            headers["X-Correlation-ID"] = str(uuid.uuid4())
        to = self.peer.party("EMSP" if self.role == "CPO" else "CPO") if self.peer is not None else None
        if routed and self._sends_routing_headers() and to is not None:
            headers.update(
                {
                    "OCPI-from-country-code": self.country_code,
                    "OCPI-from-party-id": self.party_id,
                    "OCPI-to-country-code": to[0],
                    "OCPI-to-party-id": to[1],
                }
            )
        payload = None
        if body is not None:
            body = self._outgoing(body, kind)
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body)
        try:
            response = requests.request(method, url, data=payload, headers=headers, params=params, timeout=15)
        except requests.RequestException as exc:
            with self._lock:
                self._sent.append(Sent(method, url, headers, body, None, repr(exc)))
            return None, None
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        with self._lock:
            self._sent.append(Sent(method, response.url, headers, body, response.status_code, answer))
        return response.status_code, answer

    def _outgoing(self, body: Any, kind: str | None) -> Any:
        body = copy.deepcopy(body)
        if self.quirks.nulls_for_optionals and kind:
            with_nulls(self.version, kind, body)
        return _naive(body) if self.quirks.naive_timestamps else body

    def _sends_routing_headers(self) -> bool:
        if self.quirks.routing_headers == "required":
            return True
        return self.version == "2.2.1" and self.quirks.routing_headers != "rejected"

    def _get_data(self, url: str, token: str) -> Any:
        status, answer = self._send("GET", url, token=token)
        if status != 200 or not isinstance(answer, dict) or not 1000 <= answer.get("status_code", 0) < 2000:
            raise SimError(f"GET {url}: HTTP {status}: {str(answer)[:300]}")
        return answer.get("data")

    def _discover(self, versions_url: str, token: str) -> list[dict]:
        """The endpoints of the sim's version at `versions_url` (an exact version match: the sim is strict)."""
        versions = self._get_data(versions_url, token)
        if not isinstance(versions, list):
            raise SimError(f"GET {versions_url}: data is not a list of versions: {str(versions)[:200]}")
        entry = next((v for v in versions if isinstance(v, dict) and v.get("version") == self.version), None)
        if entry is None:
            raise NoSuchVersion(f"{versions_url} offers no OCPI {self.version}: {versions}")
        details = self._get_data(entry["url"], token)
        errors = check(self.version, "VersionDetails", details)
        if errors:
            raise SimError(f"GET {entry['url']}: invalid version details: {'; '.join(errors)}")
        return details["endpoints"]

    def _roles_of(self, credentials: dict) -> list[dict]:
        if self.version == "2.2.1":
            return copy.deepcopy(credentials["roles"])
        return [
            {
                "role": "EMSP" if self.role == "CPO" else "CPO",  # 2.1.1: the opposite role of this connection
                "country_code": credentials["country_code"],
                "party_id": credentials["party_id"],
                "business_details": credentials["business_details"],
            }
        ]

    def register_with(self, versions_url: str, token_a: str) -> dict:
        """Register with another platform (credentials chapter): read its versions and details with token A,
        POST the sim's credentials with a new token B, keep the token C it answers. Returns its credentials."""
        endpoints = self._discover(versions_url, token_a)
        credentials_url = next((e["url"] for e in endpoints if e.get("identifier") == "credentials"), None)
        if credentials_url is None:
            raise SimError(f"{versions_url}: the OCPI {self.version} details list no credentials endpoint")
        token_b = self._new_token("ACCESS")  # the other side calls our versions back with it during the POST
        status, answer = self._send(
            "POST", credentials_url, token=token_a, body=self._own_credentials(token_b), kind="Credentials"
        )
        succeeded = status == 200 and isinstance(answer, dict) and answer.get("status_code") == 1000
        theirs = answer.get("data") if succeeded else None
        errors = check(self.version, "Credentials", theirs) if succeeded else [f"HTTP {status}"]
        if errors:
            with self._lock:
                self._tokens.pop(token_b, None)
            raise SimError(f"POST {credentials_url}: {'; '.join(errors) or ''} {str(answer)[:300]}")
        with self._lock:
            self.peer = Peer(theirs["token"], versions_url, endpoints, self._roles_of(theirs))
        return theirs

    def peer_endpoint(self, identifier: str, role: str | None = None) -> str:
        """The URL of the other side's endpoint (2.2.1: the interface `role`, else the one of the opposite side)."""
        if self.peer is None:
            raise SimError("not registered")
        candidates = [e for e in self.peer.endpoints if e.get("identifier") == identifier]
        if self.version == "2.2.1":
            own = _INTERFACES[self.role].get(identifier, "RECEIVER")
            wanted = role or {"SENDER": "RECEIVER", "RECEIVER": "SENDER"}[own]
            candidates = [e for e in candidates if e.get("role") == wanted]
        if not candidates:
            raise SimError(f"the other side lists no {identifier} endpoint {role or ''}")
        return candidates[0]["url"]

    def send_command(self, command: str, request: dict) -> tuple[str, int | None, Any]:
        """eMSP: POST a command to the other side's commands receiver with a response_url of the sim's;
        returns (uid of the response_url, HTTP status, envelope). The result lands in command_results[uid]."""
        uid = uuid.uuid4().hex[:16]
        with self._lock:
            self._pending_commands.add(uid)
        body = {**request, "response_url": f"{self.endpoint_url('commands')}/{command}/{uid}"}
        url = f"{self.peer_endpoint('commands').rstrip('/')}/{command}"
        status, answer = self._send("POST", url, body=body, kind=_COMMAND_OBJECTS.get(command), routed=True)
        return uid, status, answer

    def wait_for_result(self, uid: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if uid in self.command_results:
                    return self.command_results[uid]
            time.sleep(0.05)
        raise AssertionError(f"no command result at response_url {uid} within {timeout} s")

    # -- answering ------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict, bytes]:
        split = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body, bad_json = raw, True
        request = _Request(method, split.path, query, headers, body)
        try:
            # status_codes: a body that is not JSON is HTTP 400.
            reply = self._error(2001, "The body is not JSON", http=400) if bad_json else self._route(request)
        except Exception:  # noqa: BLE001 - a bug of the sim: answered 500, kept for the test to see
            with self._lock:
                self.errors.append(f"{method} {target}\n{traceback.format_exc()}")
            reply = _Reply(500, self._envelope(3000, "The simulator failed; see PartnerSim.errors"))
        envelope = reply.envelope
        if envelope is not None and self.quirks.naive_timestamps:
            envelope = _naive(envelope)
        out_headers = dict(reply.headers)
        if self.version == "2.2.1":
            for name in ("X-Request-ID", "X-Correlation-ID"):
                if request.header(name):
                    out_headers[name] = request.header(name)
        with self._lock:
            self._requests.append(Recorded(method, split.path, query, dict(headers), body, reply.http_status, envelope))
        return reply.http_status, out_headers, json.dumps(envelope).encode() if envelope is not None else b""

    def _envelope(self, status_code: int, message: str | None = None, data: Any = _ABSENT) -> dict:
        envelope: dict[str, Any] = {}
        if data is not _ABSENT:
            envelope["data"] = data
        elif self.quirks.nulls_for_optionals:
            envelope["data"] = None
        envelope["status_code"] = status_code
        if message is not None or self.quirks.nulls_for_optionals:
            envelope["status_message"] = message
        envelope["timestamp"] = _stamp(_now())
        return envelope

    def _ok(
        self,
        data: Any = _ABSENT,
        *,
        kind: str | None = None,
        http: int = 200,
        headers: dict | None = None,
        served: bool = False,
        single_object: bool = False,
    ) -> _Reply:
        """A success; `data` of `kind` (its nulls filled per the quirk); `served`: its own objects (ids,
        extension fields); `single_object`: one object where the spec says so (a list under the quirk)."""
        if data is not _ABSENT:
            data = copy.deepcopy(data)
            items = data if isinstance(data, list) else [data]
            if served and self.quirks.lower_case_ids:
                _lower_ids(items)
            for item in items:
                if served and kind in _KINDS.values():
                    for name in self.quirks.extension_fields:
                        if name != "authorization_id":
                            item.setdefault(name, f"{name.upper()}-{item.get('id') or item.get('uid')}")
                if self.quirks.nulls_for_optionals and kind:
                    with_nulls(self.version, kind, item)
            if single_object and self.quirks.list_for_object:
                data = [data]
        if http == 201 and self.quirks.ok_for_created:
            http = 200
        return _Reply(http, self._envelope(1000, None, data), headers or {})

    def _error(self, status_code: int, message: str, *, http: int = 200) -> _Reply:
        return _Reply(http, self._envelope(status_code, message))

    def _invalid(self, errors: list[str] | str) -> _Reply:
        message = errors if isinstance(errors, str) else "; ".join(errors[:5])
        return self._error(2001, message, http=self.quirks.http_status_for_invalid or 200)

    def _unknown(self, what: str) -> _Reply:
        if self.quirks.unknown_object:
            http, code = self.quirks.unknown_object
            return self._error(code, f"Unknown {what}", http=http)
        return self._error(2003, f"Unknown {what}", http=404 if self.version == "2.2.1" else 200)

    def _not_allowed(self, message: str = "Method not allowed") -> _Reply:
        return self._error(2000, message, http=405)

    def _unauthorized(self, message: str) -> _Reply:
        return self._error(2000, message, http=403 if self.quirks.http_403_for_bad_token else 401)

    def _route(self, request: _Request) -> _Reply:
        parts = [p for p in request.path.split("/") if p]
        if parts == ["ocpi", "versions"]:
            module, rest = "versions", []
        elif parts[:3] == ["ocpi", self._segment, self.version]:
            module, rest = (parts[3], parts[4:]) if len(parts) > 3 else ("details", [])
        else:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        refused = self._authenticate(request, module)
        if refused is not None:
            return refused
        if module in _FUNCTIONAL:
            refused = self._check_routing_headers(request)
            if refused is not None:
                return refused
        handler = self._handlers().get(module)
        if handler is None:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        return handler(request, rest)

    def _handlers(self) -> dict[str, Callable[[_Request, list[str]], _Reply]]:
        common = {"versions": self._versions, "details": self._details, "credentials": self._credentials}
        if self.role == "CPO":
            return common | {
                "locations": self._locations_sender,
                "tariffs": lambda r, rest: self._list_or_none(r, rest, "tariffs"),
                "sessions": lambda r, rest: self._list_or_none(r, rest, "sessions"),
                "cdrs": lambda r, rest: self._list_or_none(r, rest, "cdrs"),
                "tokens": self._tokens_receiver,
                "commands": self._commands_receiver,
            }
        return common | {
            "locations": self._locations_receiver,
            "tariffs": self._tariffs_receiver,
            "sessions": self._sessions_receiver,
            "cdrs": self._cdrs_receiver,
            "tokens": self._tokens_sender,
            "commands": self._command_results,
        }

    # -- authentication and routing headers -------------------------------------------------------------

    def _authenticate(self, request: _Request, module: str) -> _Reply | None:
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        value = value.strip()
        if scheme != "Token" or not value:
            return self._unauthorized("Authorization header must be 'Token <credentials token>'")
        decoded = _b64decode(value)
        with self._lock:
            as_raw = self._tokens.get(value)
            as_base64 = self._tokens.get(decoded) if decoded else None
        base64_form = self.token_form == "BASE64"
        kind, token = (as_base64, decoded) if base64_form else (as_raw, value)
        if kind is None:
            if (as_raw if base64_form else as_base64) is not None:
                wanted = "Base64-encoded" if base64_form else "raw (not Base64-encoded)"
                if self.quirks.status_3000_for_wrong_token_form and module in ("versions", "details"):
                    return self._error(3000, f"Token not accepted: send it {wanted}")
                return self._unauthorized(f"Unknown token: this platform takes the token {wanted}")
            return self._unauthorized("Unknown token")
        if kind == "A" and module not in ("versions", "details", "credentials"):
            return self._unauthorized("Token A opens only versions and credentials")
        request.token, request.token_kind = token, kind
        return None

    def _check_routing_headers(self, request: _Request) -> _Reply | None:
        mode = self.quirks.routing_headers
        present = {name: request.header(name) for name in _ROUTING}
        if mode == "rejected":
            carried = [name for name, value in present.items() if value is not None]
            return self._invalid(f"Routing headers are not accepted here: {', '.join(carried)}") if carried else None
        if mode != "required":
            return None
        missing = [name for name, value in present.items() if not value]
        if missing:
            return self._invalid(f"Missing routing header {missing[0]}")
        if not (
            _same(present["OCPI-to-country-code"], self.country_code)
            and _same(present["OCPI-to-party-id"], self.party_id)
        ):
            return self._invalid(
                f"OCPI-to-country-code/OCPI-to-party-id {present['OCPI-to-country-code']}/"
                f"{present['OCPI-to-party-id']} is not this party ({self.country_code}/{self.party_id})"
            )
        sender = (present["OCPI-from-country-code"].upper(), present["OCPI-from-party-id"].upper())
        if self.peer is not None and sender not in self.peer.parties():
            return self._invalid(f"OCPI-from-country-code/-party-id {'/'.join(sender)} is not a party of yours")
        return None

    def _routing_answer_headers(self, request: _Request) -> dict[str, str]:
        """2.2.1 answers to functional modules name the parties the other way round."""
        if not self._sends_routing_headers() or not request.header("OCPI-from-party-id"):
            return {}
        return {
            "OCPI-to-country-code": request.header("OCPI-from-country-code") or "",
            "OCPI-to-party-id": request.header("OCPI-from-party-id") or "",
            "OCPI-from-country-code": self.country_code,
            "OCPI-from-party-id": self.party_id,
        }

    def _check_owner(self, country_code: str, party_id: str) -> _Reply | None:
        """Client-owned objects are pushed under a party of the connection (transport_and_format, Errors:
        others may be answered HTTP 404)."""
        if self.peer is not None and (country_code.upper(), party_id.upper()) not in self.peer.parties():
            return self._error(2000, f"{country_code}/{party_id} is not a party of this connection", http=404)
        return None

    # -- versions and credentials ---------------------------------------------------------------------------

    @property
    def _version_label(self) -> str:
        return self.version.rsplit(".", 1)[0] if self.quirks.loose_version else self.version

    def _versions(self, request: _Request, rest: list[str]) -> _Reply:
        if request.method != "GET":
            return self._not_allowed()
        return self._ok([{"version": self._version_label, "url": self.details_url}], kind="Version")

    def _details(self, request: _Request, rest: list[str]) -> _Reply:
        if request.method != "GET":
            return self._not_allowed()
        endpoints = [{"identifier": "credentials", "role": "SENDER", "url": self.endpoint_url("credentials")}]
        for module, interface in _INTERFACES[self.role].items():
            endpoints.append({"identifier": module, "role": interface, "url": self.endpoint_url(module)})
        if self.version == "2.1.1":
            endpoints = [{"identifier": e["identifier"], "url": e["url"]} for e in endpoints]
        return self._ok({"version": self._version_label, "endpoints": endpoints}, kind="VersionDetails")

    def _own_credentials(self, token: str) -> dict:
        details = {"name": self.name, "website": f"https://www.{self.party_id.lower()}.example.com"}
        if self.version == "2.2.1":
            return {
                "token": token,
                "url": self.versions_url,
                "roles": [
                    {
                        "role": self.role,
                        "business_details": details,
                        "party_id": self.party_id,
                        "country_code": self.country_code,
                    }
                ],
            }
        return {
            "token": token,
            "url": self.versions_url,
            "business_details": details,
            "party_id": self.party_id,
            "country_code": self.country_code,
        }

    def _credentials(self, request: _Request, rest: list[str]) -> _Reply:
        if rest:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        if request.method == "GET":
            return self._ok(self._own_credentials(request.token), kind="Credentials", single_object=True)
        if request.method == "POST":
            if request.token_kind != "A" or self.peer is not None:
                return self._not_allowed("Already registered: use PUT to update the credentials")
            return self._exchange(request)
        if request.method == "PUT":
            if self.quirks.no_credentials_put:
                return self._error(3000, "Credentials PUT is not supported: unregister and register again", http=405)
            if request.token_kind != "ACCESS" or self.peer is None:
                return self._not_allowed("Not registered: use POST to register")
            return self._exchange(request)
        if request.method == "DELETE":
            if request.token_kind != "ACCESS" or self.peer is None:
                return self._not_allowed("Not registered")
            with self._lock:
                self.peer = None
                self._tokens.pop(request.token, None)
                if self.quirks.no_credentials_put:
                    self._tokens[request.token] = "A"  # register again with the token just used
            return self._ok()
        return self._not_allowed()

    def _exchange(self, request: _Request) -> _Reply:
        """POST or PUT of their credentials: read their versions and details back with their token, store
        them, answer the sim's credentials with a new token (the one they used dies)."""
        errors = check(self.version, "Credentials", request.body)
        if errors:
            return self._invalid(errors)
        try:
            endpoints = self._discover(request.body["url"], request.body["token"])
        except NoSuchVersion as exc:
            return self._error(3002, str(exc))
        except SimError as exc:
            return self._error(3001, f"Could not use your API: {exc}")
        if not any(e.get("identifier") == "credentials" for e in endpoints):
            return self._error(3003, "Your version details list no credentials endpoint")
        token_c = self._new_token("ACCESS")
        with self._lock:
            self._tokens.pop(request.token, None)
            self.peer = Peer(request.body["token"], request.body["url"], endpoints, self._roles_of(request.body))
        return self._ok(self._own_credentials(token_c), kind="Credentials", single_object=True)

    # -- senders: lists from its own data -------------------------------------------------------------------

    def _list_or_none(self, request: _Request, rest: list[str], module: str) -> _Reply:
        if rest:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        return self._list(request, module)

    def _list(self, request: _Request, module: str) -> _Reply:
        """A paginated GET of its own objects (transport_and_format, pagination)."""
        if request.method != "GET":
            return self._not_allowed()
        query = request.query
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query["limit"]) if query.get("limit") else None
            date_from = parse_datetime(query["date_from"]) if query.get("date_from") else None
            date_to = parse_datetime(query["date_to"]) if query.get("date_to") else None
        except ValueError as exc:
            return self._invalid(f"Invalid pagination parameter: {exc}")
        if offset < 0 or (limit is not None and limit < 1):
            return self._invalid("offset must be 0 or more and limit 1 or more")
        if module == "sessions" and date_from is None:
            return self._invalid("date_from is required for a list of sessions")  # mod_sessions GET
        size = min(self.max_page_size, self.quirks.page_caps.get(module, self.max_page_size), limit or 10**9)
        with self._lock:
            matching = [
                o
                for o in self._data[module]
                if (date_from is None or parse_datetime(o["last_updated"]) >= date_from)
                and (date_to is None or parse_datetime(o["last_updated"]) < date_to)
            ]
            page = matching[offset : offset + size]
            headers = {"X-Total-Count": str(len(matching)), "X-Limit": str(size)}
            following = offset + len(page)
            if following < len(matching) and not self.quirks.no_link:
                headers["Link"] = f'<{self._next_link(request, module, following, size)}>; rel="next"'
            headers |= self._routing_answer_headers(request)
            return self._ok(page, kind=_KINDS[module], headers=headers, served=True)

    def _next_link(self, request: _Request, module: str, offset: int, size: int) -> str:
        params = {k: v for k, v in request.query.items() if k not in ("offset", "limit")}
        path = request.path
        if self.quirks.broken_link == "offset":
            offset += size  # skips a page
        elif self.quirks.broken_link == "url":
            path = f"/ocpi/{self._segment}/{self.version}/{module}-v2"  # a path it does not serve
        return f"{self.url}{path}?{urlencode({**params, 'offset': offset, 'limit': size})}"

    def _locations_sender(self, request: _Request, rest: list[str]) -> _Reply:
        if not rest:
            return self._list(request, "locations")
        if request.method != "GET" or len(rest) > 3:
            return self._not_allowed()
        with self._lock:
            found, kind = self._own("locations", rest[0]), "Location"
            if found is not None and len(rest) > 1:
                found = next((e for e in found["evses"] if _same(e["uid"], rest[1])), None)
                kind = "EVSE"
            if found is not None and len(rest) > 2:
                found = next((c for c in found["connectors"] if _same(c["id"], rest[2])), None)
                kind = "Connector"
            if found is None:
                return self._unknown(f"{kind.lower()} {'/'.join(rest)}")
            return self._ok(found, kind=kind, served=True, headers=self._routing_answer_headers(request))

    # -- receivers: what it is sent -----------------------------------------------------------------------

    def _required(self, module: str, obj: dict, level: str = "") -> list[str]:
        """The required_fields quirk: the paths below `module` this PUT lacks (an EVSE or connector PUT is
        checked against the paths below its own level)."""
        start = {"evse": "locations.evses.", "connector": "locations.evses.connectors."}.get(level, f"{module}.")
        cls = {"evse": "EVSE", "connector": "Connector"}.get(level, _KINDS[module])
        errors = []
        for path in sorted(self.quirks.required_fields):
            if path.startswith(start):
                errors += _require(self.version, cls, obj, path[len(start) :].split("."))
        return errors

    def _stored_stamp(self, value: str | None) -> str:
        """The last_updated it stores: the sender's, or its own entry time under own_last_updated."""
        return _stamp(_now()) if self.quirks.own_last_updated or not value else value

    def _put_checks(self, cls: str, body: Any, url_id: str, id_field: str, owner=None) -> list[str]:
        """A PUT body: valid, its id the URL's, and in 2.2.1 its owner the URL's (transport_and_format)."""
        errors = check(self.version, cls, body)
        if errors:
            return errors
        if not _same(body.get(id_field), url_id):
            return [f"{id_field} {body.get(id_field)!r} differs from the URL's {url_id!r}"]
        owned = owner is not None and self.version == "2.2.1" and "country_code" in SCHEMAS["2.2.1"][cls]
        if owned and not (_same(body["country_code"], owner[0]) and _same(body["party_id"], owner[1])):
            return [f"country_code/party_id {body['country_code']}/{body['party_id']} differ from the URL's"]
        return []

    def _patch_checks(self, module: str, cls: str, body: Any, url_id: str, id_field: str) -> _Reply | None:
        refusals = _patch_refusals(self.quirks.no_patch)
        if module in refusals:
            http, code = refusals[module]
            return self._error(code, f"PATCH of {module} is not supported: PUT the whole object", http=http)
        errors = check(self.version, cls, body, partial=True)
        needs_stamp = self.version == "2.2.1" and module in ("locations", "sessions", "tokens")
        if not errors and needs_stamp and not body.get("last_updated"):
            errors = ["last_updated is required in a PATCH"]  # 2.2.1 mod_locations/sessions/tokens PATCH
        if not errors and id_field in body and not _same(body[id_field], url_id):
            errors = [f"{id_field} {body[id_field]!r} differs from the URL's {url_id!r}"]
        return self._invalid(errors) if errors else None

    def _locations_receiver(self, request: _Request, rest: list[str]) -> _Reply:
        if not 3 <= len(rest) <= 5:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        country_code, party_id, location_id, *below = rest
        refused = self._check_owner(country_code, party_id)
        if refused is not None:
            return refused
        key = (country_code.upper(), party_id.upper(), location_id.upper())
        level, cls = [("location", "Location"), ("evse", "EVSE"), ("connector", "Connector")][len(below)]
        body = request.body
        with self._lock:
            store = self._held["locations"]
            location = store.get(key)
            evse = connector = None
            if location is not None and below:
                evse = next((e for e in location.get("evses") or [] if _same(e.get("uid"), below[0])), None)
            if evse is not None and len(below) > 1:
                connector = next((c for c in evse.get("connectors") or [] if _same(c.get("id"), below[1])), None)
            target = [location, evse, connector][len(below)]
            parent = [None, location, evse][len(below)]
            if request.method == "GET":
                if target is None:
                    return self._unknown(f"{level} {'/'.join(rest[2:])}")
                return self._ok(target, kind=cls, headers=self._routing_answer_headers(request))
            if request.method == "PUT":
                if level != "location" and parent is None:
                    return self._unknown(f"{'location' if level == 'evse' else 'EVSE'} {'/'.join(rest[2:-1])}")
                id_field = "id" if level != "evse" else "uid"
                errors = self._put_checks(cls, body, rest[-1], id_field, owner=(country_code, party_id))
                errors = errors or self._required("locations", body, level)
                if errors:
                    return self._invalid(errors)
                stored = copy.deepcopy(body)
                if self.quirks.own_last_updated:
                    _stamp_tree(stored, _stamp(_now()))
                if level == "location":
                    store[key] = stored
                else:
                    children = parent.setdefault("evses" if level == "evse" else "connectors", [])
                    index = next((i for i, c in enumerate(children) if _same(c.get(id_field), rest[-1])), None)
                    if index is None:
                        children.append(stored)
                    else:
                        children[index] = stored
                    for up in (evse if level == "connector" else None, location):
                        if up is not None:
                            up["last_updated"] = stored["last_updated"]  # mod_locations PUT: parents follow
                http = 201 if target is None else 200
                return self._ok(http=http, headers=self._routing_answer_headers(request))
            if request.method == "PATCH":
                id_field = "uid" if level == "evse" else "id"
                refused = self._patch_checks("locations", cls, body, rest[-1], id_field)
                if refused is not None:
                    return refused
                if target is None:
                    return self._unknown(f"{level} {'/'.join(rest[2:])}")
                _merge(target, body)
                stamp = self._stored_stamp(body.get("last_updated"))
                for up in (target, parent, location):
                    if up is not None:
                        up["last_updated"] = stamp  # mod_locations PATCH: parents follow
                return self._ok(headers=self._routing_answer_headers(request))
        return self._not_allowed()

    def _simple_receiver(self, request: _Request, rest: list[str], module: str, *, patch: bool) -> _Reply:
        """Tariffs and sessions receivers: /{country_code}/{party_id}/{id}, GET / PUT / PATCH (/ DELETE)."""
        if len(rest) != 3:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        country_code, party_id, object_id = rest
        refused = self._check_owner(country_code, party_id)
        if refused is not None:
            return refused
        key = (country_code.upper(), party_id.upper(), object_id.upper())
        cls, body = _KINDS[module], request.body
        answer_headers = self._routing_answer_headers(request)
        with self._lock:
            store = self._held[module]
            stored = store.get(key)
            if request.method == "GET":
                return self._unknown(f"{module} {object_id}") if stored is None else self._ok(stored, kind=cls)
            if request.method == "PUT":
                errors = self._put_checks(cls, body, object_id, "id", owner=(country_code, party_id))
                errors = errors or self._required(module, body) or self._expected_back(body)
                if errors:
                    return self._invalid(errors)
                store[key] = copy.deepcopy(body)
                store[key]["last_updated"] = self._stored_stamp(body["last_updated"])
                return self._ok(http=201 if stored is None else 200, headers=answer_headers)
            if request.method == "PATCH" and patch:
                refused = self._patch_checks(module, cls, body, object_id, "id")
                if refused is not None:
                    return refused
                if stored is None:
                    return self._unknown(f"{module} {object_id}")
                periods = body.get("charging_periods")
                changes = {k: v for k, v in body.items() if not (module == "sessions" and k == "charging_periods")}
                _merge(stored, changes)
                if module == "sessions" and periods:
                    if self.version == "2.2.1":  # mod_sessions PATCH: charging periods are appended
                        stored.setdefault("charging_periods", []).extend(copy.deepcopy(periods))
                    else:
                        stored["charging_periods"] = copy.deepcopy(periods)
                stored["last_updated"] = self._stored_stamp(body.get("last_updated"))
                return self._ok(headers=answer_headers)
            if request.method == "DELETE" and module == "tariffs":
                if stored is None:
                    return self._unknown(f"tariff {object_id}")
                del store[key]
                return self._ok(headers=answer_headers)
        return self._not_allowed(f"{request.method} is not part of OCPI {self.version} {module}")

    def _tariffs_receiver(self, request: _Request, rest: list[str]) -> _Reply:
        # 2.2.1 removed the tariffs PATCH (mod_tariffs Receiver interface); 2.1.1 has it.
        return self._simple_receiver(request, rest, "tariffs", patch=self.version == "2.1.1")

    def _sessions_receiver(self, request: _Request, rest: list[str]) -> _Reply:
        return self._simple_receiver(request, rest, "sessions", patch=True)

    def _expected_back(self, obj: dict) -> list[str]:
        """Under extension_fields with authorization_id: a session or CDR of a token it authorized carries
        the authorization_id it gave."""
        if "authorization_id" not in self.quirks.extension_fields or not isinstance(obj, dict):
            return []
        token = obj.get("cdr_token") or {}
        references = {token.get("uid"), token.get("contract_id"), obj.get("auth_id")} - {None}
        given = [a for a in self.authorizations if {a["uid"], a["contract_id"]} & references]
        if not given or obj.get("authorization_id") == given[-1]["authorization_id"]:
            return []
        return [
            f"authorization_id {given[-1]['authorization_id']!r} (of the authorization of token {given[-1]['uid']}) "
            f"is required, got {obj.get('authorization_id')!r}"
        ]

    def _cdrs_receiver(self, request: _Request, rest: list[str]) -> _Reply:
        with self._lock:
            if request.method == "GET" and len(rest) == 3:
                stored = self._held["cdrs"].get(tuple(p.upper() for p in rest))
                return self._unknown(f"CDR {rest[2]}") if stored is None else self._ok(stored, kind="CDR")
            if request.method != "POST" or rest:
                return self._not_allowed()
            body = request.body
            errors = check(self.version, "CDR", body) or self._expected_back(body)
            if errors:
                return self._invalid(errors)
            if self.version == "2.2.1":
                owner = (body["country_code"], body["party_id"])
            else:  # 2.1.1 CDRs carry no owner: the connection's party
                owner = (self.peer.party("CPO") if self.peer else None) or ("XX", "XXX")
            refused = self._check_owner(*owner)
            if refused is not None:
                return refused
            key = (owner[0].upper(), owner[1].upper(), body["id"].upper())
            self._held["cdrs"][key] = copy.deepcopy(body)
            self._held["cdrs"][key]["last_updated"] = self._stored_stamp(body["last_updated"])
        location = f"{self.endpoint_url('cdrs')}/{owner[0]}/{owner[1]}/{body['id']}"
        return self._ok(http=201, headers={"Location": location, **self._routing_answer_headers(request)})

    def _tokens_receiver(self, request: _Request, rest: list[str]) -> _Reply:
        """CPO: /{country_code}/{party_id}/{uid}[?type=] (2.2.1: type defaults to RFID; 2.1.1 has no type)."""
        if len(rest) != 3:
            return self._error(2000, f"Nothing at {request.path}", http=404)
        country_code, party_id, uid = rest
        refused = self._check_owner(country_code, party_id)
        if refused is not None:
            return refused
        token_type = request.query.get("type", "RFID") if self.version == "2.2.1" else ""
        key = (country_code.upper(), party_id.upper(), uid.upper(), token_type)
        body = request.body
        answer_headers = self._routing_answer_headers(request)
        with self._lock:
            store = self._held["tokens"]
            stored = store.get(key)
            if request.method == "GET":
                return self._unknown(f"token {uid}") if stored is None else self._ok(stored, kind="Token")
            if request.method == "PUT":
                errors = self._put_checks("Token", body, uid, "uid", owner=(country_code, party_id))
                if not errors and self.version == "2.2.1" and body["type"] != token_type:
                    errors = [f"type {body['type']!r} differs from the URL's {token_type!r}"]
                errors = errors or self._required("tokens", body)
                if errors:
                    return self._invalid(errors)
                store[key] = copy.deepcopy(body)
                store[key]["last_updated"] = self._stored_stamp(body["last_updated"])
                return self._ok(http=201 if stored is None else 200, headers=answer_headers)
            if request.method == "PATCH":
                refused = self._patch_checks("tokens", "Token", body, uid, "uid")
                if refused is not None:
                    return refused
                if stored is None:
                    return self._unknown(f"token {uid}")
                _merge(stored, body)
                stored["last_updated"] = self._stored_stamp(body.get("last_updated"))
                return self._ok(headers=answer_headers)
        return self._not_allowed()

    def _tokens_sender(self, request: _Request, rest: list[str]) -> _Reply:
        """eMSP: the list of its tokens, and POST {uid}/authorize[?type=] (real-time authorization)."""
        if not rest:
            return self._list(request, "tokens")
        if len(rest) != 2 or rest[1] != "authorize" or request.method != "POST":
            return self._not_allowed()
        token_type = request.query.get("type", "RFID")
        if request.body is not None:
            errors = check(self.version, "LocationReferences", request.body)
            if errors:
                return self._invalid(errors)
        with self._lock:
            token = next(
                (t for t in self._data["tokens"] if _same(t["uid"], rest[0]) and t["type"] == token_type), None
            )
            if token is None:
                if self.quirks.unknown_object:
                    return self._unknown(f"token {rest[0]}")
                # mod_tokens 2.2.1: HTTP 404 with 2004; 2.1.1 has no 2004: 404 with the generic client error.
                return self._error(2004 if self.version == "2.2.1" else 2000, f"Unknown token {rest[0]}", http=404)
            allowed = self.authorize_allowed or ("ALLOWED" if token["valid"] else "BLOCKED")
            info: dict[str, Any] = {"allowed": allowed}
            reference = f"AUTH{uuid.uuid4().hex[:12].upper()}"
            if self.version == "2.2.1":
                info.update(token=copy.deepcopy(token), authorization_reference=reference)
            if request.body is not None:
                info["location"] = request.body
            record = {
                "uid": token["uid"],
                "type": token["type"],
                "contract_id": token.get("contract_id") or token.get("auth_id"),
                "authorization_reference": info.get("authorization_reference"),
                "authorization_id": None,
                "location": request.body,
            }
            if "authorization_id" in self.quirks.extension_fields:
                info["authorization_id"] = record["authorization_id"] = f"GIR-{uuid.uuid4().hex[:10]}"
            self.authorizations.append(record)
        return self._ok(
            info,
            kind="AuthorizationInfo",
            single_object=True,
            headers=self._routing_answer_headers(request),
        )

    # -- commands --------------------------------------------------------------------------------------------

    def _command_response(self, result: str) -> dict:
        if self.version == "2.2.1":
            return {"result": result, "timeout": self.command_timeout}
        return {"result": result}

    def _commands_receiver(self, request: _Request, rest: list[str]) -> _Reply:
        """CPO: POST {command}: CommandResponse now, the charge point's result to the response_url later."""
        if request.method != "POST" or len(rest) != 1:
            return self._not_allowed()
        command, body = rest[0], request.body
        headers = self._routing_answer_headers(request)
        if command not in ENUMS[self.version]["CommandType"]:
            return self._ok(self._command_response("NOT_SUPPORTED"), kind="CommandResponse", single_object=True)
        errors = check(self.version, _COMMAND_OBJECTS[command], body)
        if errors:
            return self._invalid(errors)
        with self._lock:
            self.commands.append({"command": command, "request": copy.deepcopy(body)})
            location = self._own("locations", body["location_id"]) if "location_id" in body else None
            if "location_id" in body and location is None:
                return self._error(2003, f"Unknown location {body['location_id']}")  # status_codes 2003
            if body.get("evse_uid") and not any(_same(e["uid"], body["evse_uid"]) for e in location["evses"]):
                return self._error(2003, f"Unknown EVSE {body['evse_uid']} at {body['location_id']}")
            result = self.command_result
            if command == "STOP_SESSION":
                session = self._own("sessions", body["session_id"])
                if session is None or session["status"] != "ACTIVE":
                    response = self._command_response("UNKNOWN_SESSION")
                    return self._ok(response, kind="CommandResponse", single_object=True, headers=headers)
        if result is not None:
            timer = threading.Timer(self.command_delay, self._carry_out, args=(command, copy.deepcopy(body), result))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
        response = self._command_response("ACCEPTED")
        return self._ok(response, kind="CommandResponse", single_object=True, headers=headers)

    def _carry_out(self, command: str, body: dict, result: str) -> None:
        """The charge point's part: start or stop the session, then POST the result to the response_url."""
        try:
            with self._lock:
                if command == "START_SESSION" and result == "ACCEPTED":
                    self._start_session(body)
                if command == "STOP_SESSION" and result == "ACCEPTED":
                    session = self._own("sessions", body["session_id"])
                    if session is not None:
                        moment = _stamp(_now())
                        key = "end_date_time" if self.version == "2.2.1" else "end_datetime"
                        session.update({"status": "COMPLETED", key: moment, "last_updated": moment})
            if self.version == "2.2.1":
                self._send("POST", body["response_url"], body={"result": result}, kind="CommandResult", routed=True)
            else:  # 2.1.1: the asynchronous result is a CommandResponse
                self._send("POST", body["response_url"], body={"result": result}, kind="CommandResponse", routed=True)
        except Exception:  # noqa: BLE001 - a timer thread: keep the failure for the test to see
            with self._lock:
                self.errors.append(f"{command} result\n{traceback.format_exc()}")

    def _start_session(self, body: dict) -> None:
        location = self._own("locations", body["location_id"])
        evse = next((e for e in location["evses"] if _same(e["uid"], body.get("evse_uid"))), location["evses"][0])
        connector = evse["connectors"][0]
        token = body["token"]
        number = next(self._counters["sessions"])
        moment = _stamp(_now())
        if self.version == "2.2.1":
            session = {
                **self._owner(),
                "id": f"SES-{number:05d}",
                "start_date_time": moment,
                "kwh": 0,
                "cdr_token": {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")},
                "auth_method": "COMMAND",
                "location_id": location["id"],
                "evse_uid": evse["uid"],
                "connector_id": connector["id"],
                "currency": "EUR",
                "status": "ACTIVE",
                "last_updated": moment,
            }
            if body.get("authorization_reference"):
                session["authorization_reference"] = body["authorization_reference"]
        else:
            location_211 = copy.deepcopy(location)
            location_211["evses"] = [{**copy.deepcopy(evse), "connectors": [copy.deepcopy(connector)]}]
            session = {
                "id": f"SES-{number:05d}",
                "start_datetime": moment,
                "kwh": 0,
                "auth_id": token["auth_id"],
                "auth_method": "AUTH_REQUEST",
                "location": location_211,
                "currency": "EUR",
                "status": "ACTIVE",
                "last_updated": moment,
            }
        evse["status"] = "CHARGING"
        self._data["sessions"].append(session)

    def _command_results(self, request: _Request, rest: list[str]) -> _Reply:
        """eMSP: the response_url receiver, POST {command}/{uid}: the result of a command it sent."""
        if request.method != "POST" or len(rest) != 2:
            return self._not_allowed()
        with self._lock:
            if rest[1] not in self._pending_commands:
                return self._unknown(f"command {'/'.join(rest)}")
        errors = check(self.version, "CommandResult" if self.version == "2.2.1" else "CommandResponse", request.body)
        if errors:
            return self._invalid(errors)
        with self._lock:
            self.command_results[rest[1]] = copy.deepcopy(request.body)
        return self._ok(headers=self._routing_answer_headers(request))


class _Server(ThreadingHTTPServer):
    # A listen backlog for bursts of concurrent clients: the default of 5 resets the connections beyond it.
    request_queue_size = 128
    daemon_threads = True


def _handler(sim: PartnerSim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, payload = sim._answer(self.command, self.path, dict(self.headers.items()), raw)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler
