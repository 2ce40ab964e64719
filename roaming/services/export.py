"""The tenant's objects of one module in the internal normalized form, for operators and scripts.

What an operator compares across platforms when a partner reports a difference: the stored
values themselves, before any dialect shapes them, with the partner each object came from.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import models

from partners.models import Tenant
from roaming.models import Cdr, Command, Location, Session, Token
from roaming.services import cdrs
from roaming.services.locations import with_children
from tariffs.models import Tariff

#: Module → (model, ordering): the same order on every platform, so two dumps line up.
MODULES = {
    "locations": (Location, ("country_code", "party_id", "location_id")),
    "tariffs": (Tariff, ("country_code", "party_id", "tariff_id")),
    "sessions": (Session, ("country_code", "party_id", "session_id")),
    "cdrs": (Cdr, ("country_code", "party_id", "cdr_id")),
    "tokens": (Token, ("country_code", "party_id", "uid", "type")),
    "commands": (Command, ("created", "direction", "command")),
}
#: Bookkeeping of this platform only: row keys, the tenant, cache revisions, list positions.
SKIPPED = {"id", "tenant", "partner", "revision", "position", "location", "evse"}


def _value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _fields(obj: models.Model) -> dict:
    return {
        field.attname if not field.is_relation else field.name: _value(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.name not in SKIPPED
    }


def export_objects(
    *, tenant: Tenant, module: str, partner_name: str | None = None, partner_copies: bool = False
) -> list[dict]:
    """Every object of `module` the tenant holds (locations with their EVSEs and connectors), each with
    `partner`: the name of the partner it was received from, None for the tenant's own. With `partner_copies`,
    each own CDR also carries what every partner it was delivered to answers for it at the Location it gave."""
    model, ordering = MODULES[module]
    queryset = model.objects.for_tenant(tenant).select_related("partner").order_by(*ordering)
    if partner_name is not None:
        queryset = queryset.filter(partner__name=partner_name)
    if model is Location:
        queryset = with_children(queryset)
    rows = []
    for obj in queryset:
        row = {"partner": obj.partner.name if obj.partner_id else None, **_fields(obj)}
        if model is Location:
            row["evses"] = [
                {**_fields(evse), "connectors": [_fields(c) for c in evse.connectors.all()]} for evse in obj.evses.all()
            ]
        if model is Cdr and partner_copies and not obj.partner_id:
            row["partner_copies"] = [copy.__dict__ for copy in cdrs.partner_copies(tenant=tenant, cdr=obj)]
        rows.append(row)
    return rows
