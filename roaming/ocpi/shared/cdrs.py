"""CDRs (mod_cdrs) as both versions define it, and the translation of what they share.

Alike in 2.1.1 and 2.2.1 (VERSION-DIFFERENCES 8): of the CDR its start_date_time, meter_id, currency,
total_energy, total_time, total_parking_time, remark and last_updated; its tariffs and charging periods
are the tariffs' and sessions' module own, read and written by the version's translators of those.
"""

from __future__ import annotations

from types import SimpleNamespace

from roaming.ocpi.common import dump, dump_list, fields_of, jsonable, put, put_list, read_fields
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.timestamps import format_datetime
from roaming.ocpi.types import DateTime, Number, String, WireModel, validate


class Cdr(WireModel):
    start_date_time: DateTime
    meter_id: String(255) | None = None
    currency: String(3)
    total_energy: Number
    total_time: Number
    total_parking_time: Number | None = None
    remark: String(255) | None = None
    last_updated: DateTime


class Cdrs:
    """The cdrs module's translators. A version sets `schema` and `carries_credit`, writes the fields it
    defines its own way (`fields_to_wire`) and reads them (`read_field`, handing the others back here).
    `owner` is the CDR's owner and `token_owner` its token's where the version's CDR does not say them."""

    dialect: Dialect
    schema: type[WireModel]
    #: CDRs are posted once and never changed (mod_cdrs).
    supports_patch = False
    #: The version can express credit CDRs.
    carries_credit: bool

    def to_wire(self, cdr) -> dict:
        tariffs, sessions = self.dialect.module("tariffs"), self.dialect.module("sessions")
        wire = {"id": cdr.cdr_id, "start_date_time": format_datetime(cdr.start_date_time), **self.fields_to_wire(cdr)}
        put(wire, "meter_id", cdr.meter_id)
        wire["currency"] = cdr.currency
        put_list(wire, "tariffs", [w for w in (tariffs.to_wire(SimpleNamespace(**t)) for t in cdr.tariffs) if w])
        wire["charging_periods"] = sessions.periods_to_wire(cdr.charging_periods)
        wire["total_energy"] = float(cdr.total_energy)
        wire["total_time"] = float(cdr.total_time)
        if cdr.total_parking_time is not None:
            wire["total_parking_time"] = float(cdr.total_parking_time)
        put(wire, "remark", cdr.remark)
        wire["last_updated"] = format_datetime(cdr.last_updated)
        return wire

    def fields_to_wire(self, cdr) -> dict:
        """The CDR fields the version defines its own way: end time, token, location, costs and what it adds."""
        raise NotImplementedError

    def from_wire(self, data, *, owner: tuple[str, str] | None = None, token_owner=None) -> dict:
        values = fields_of(validate(self.schema, data))
        return read_fields(values, self.read_field, owner=owner, token_owner=token_owner)

    def read_field(self, internal: dict, name: str, value, *, owner, token_owner) -> None:
        if name == "id":
            internal["cdr_id"] = value
        elif name == "tariffs":
            tariffs = self.dialect.module("tariffs")
            internal[name] = [jsonable(tariffs.from_wire(dump(t), owner=owner)) for t in value]
        elif name == "charging_periods":
            internal[name] = dump_list(value)
        elif name in ("start_date_time", "total_energy", "total_time", "total_parking_time", "last_updated"):
            internal[name] = value
        else:  # meter_id, currency, remark, auth_method and a version's other strings
            internal[name] = value or ""
