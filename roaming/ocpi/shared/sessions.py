"""Sessions (mod_sessions) as both versions define it, with the ChargingPeriod both modules carry.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 7 and 8.4): the AuthMethod and SessionStatus values 2.1.1
has (2.2.1 adds COMMAND and RESERVATION), the CdrDimensionType values both have; ChargingPeriod's
start_date_time and CdrDimension's volume; of the Session its kwh, meter_id, currency and last_updated.
"""

from __future__ import annotations

from roaming.ocpi.common import dump_list, fields_of, put, put_list, read_fields
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.timestamps import format_datetime, rewrite_datetime
from roaming.ocpi.types import DateTime, Number, String, WireModel, validate, validate_partial

# Enum values both versions define; each adds its own.
AUTH_METHODS = ("AUTH_REQUEST", "WHITELIST")
SESSION_STATUSES = ("ACTIVE", "COMPLETED", "INVALID", "PENDING")
CDR_DIMENSION_TYPES = ("ENERGY", "MAX_CURRENT", "MIN_CURRENT", "PARKING_TIME", "TIME")


class CdrDimension(WireModel):
    volume: Number


class ChargingPeriod(WireModel):
    start_date_time: DateTime


class Session(WireModel):
    kwh: Number
    meter_id: String(255) | None = None
    currency: String(3)
    last_updated: DateTime


class Sessions:
    """The sessions module's translators. A version sets `schema` and its dimension types, writes the
    fields it defines its own way (`fields_to_wire`) and reads them (`read_field`, handing the others back
    here). `token_owner` is the party owning the session's token where the version does not say it."""

    dialect: Dialect
    schema: type[WireModel]
    #: CdrDimensionType values the version knows: charging periods carry only these.
    dimension_types: tuple[str, ...]
    #: A PATCH's charging_periods are added to the stored ones, not put in their place.
    patch_appends_charging_periods: bool
    supports_charging_preferences = False
    supports_patch = True
    #: The ChargingPreferences body (2.2.1); None where the version has no charging preferences.
    preferences_schema: type[WireModel] | None = None
    #: Internal field → the wire field carrying it, so that a PATCH sends what changed under its name.
    wire_names: dict[str, str] = {}
    #: Fields a PATCH body must carry.
    patch_requires: tuple[str, ...] = ()

    def to_wire(self, session) -> dict:
        wire = {"id": session.session_id, **self.fields_to_wire(session)}
        wire["kwh"] = float(session.kwh)
        put(wire, "meter_id", session.meter_id)
        wire["currency"] = session.currency
        put_list(wire, "charging_periods", self.periods_to_wire(session.charging_periods))
        wire["last_updated"] = format_datetime(session.last_updated)
        return wire

    def fields_to_wire(self, session) -> dict:
        """The Session fields the version defines its own way: times, token, location, cost and status."""
        raise NotImplementedError

    def periods_to_wire(self, periods: list[dict]) -> list[dict]:
        """Charging periods (of a session or a CDR) with only the dimensions the version knows; a period
        left with none is left out."""
        wire = []
        for period in periods:
            dimensions = [d for d in period["dimensions"] if d["type"] in self.dimension_types]
            if dimensions:
                wire.append(self.period_to_wire(period, dimensions))
        return wire

    def period_to_wire(self, period: dict, dimensions: list[dict]) -> dict:
        return {**period, "start_date_time": rewrite_datetime(period["start_date_time"]), "dimensions": dimensions}

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        return read_fields(fields_of(validate(self.schema, data)), self.read_field, token_owner=token_owner)

    def patch_from_wire(self, data, *, token_owner=None) -> dict:
        values = validate_partial(self.schema, data, required=self.patch_requires)
        return read_fields(values, self.read_field, token_owner=token_owner)

    def read_field(self, internal: dict, name: str, value, *, token_owner) -> None:
        if name == "id":
            internal["session_id"] = value
        elif name == "charging_periods":
            internal[name] = dump_list(value)
        elif name in ("kwh", "last_updated"):
            internal[name] = value
        else:  # meter_id, currency, auth_method, status and a version's other strings
            internal[name] = value or ""
