"""The OCPI modules the platform knows, in one table.

Each row names what makes up one module: its routes (interfaces, the party roles implementing them,
the views), the model holding its objects, the service owning them, how its changes are pushed to
partners (`Pushable`) and how partners' objects are pulled (`Pullable`). Its translators are the
dialects' (`translator(dialect)`): each version package declares the modules it has.

The URLconf, version details and OpenAPI read `routes()`; the outbox and sync are handed the
pushables and pullables once, when the app is ready (roaming.apps).
Credentials and versions are configuration modules, served by their own views, not rows here.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from django.db import models

from roaming.api.modules import cdrs as cdrs_api
from roaming.api.modules import chargingprofiles as chargingprofiles_api
from roaming.api.modules import commands as commands_api
from roaming.api.modules import hubclientinfo as hubclientinfo_api
from roaming.api.modules import invoicereconciliation as invoicereconciliation_api
from roaming.api.modules import locations as locations_api
from roaming.api.modules import sessions as sessions_api
from roaming.api.modules import tariffs as tariffs_api
from roaming.api.modules import tokens as tokens_api
from roaming.api.routes import Route
from roaming.models import (
    Cdr,
    ChargingProfileRequest,
    ClientInfo,
    Command,
    InvoiceReconciliationRecord,
    Location,
    Session,
    Token,
)
from roaming.ocpi.dialect import Dialect, Translator
from roaming.services import (
    cdrs,
    chargingprofiles,
    commands,
    hubclientinfo,
    invoicereconciliation,
    locations,
    sessions,
    tokens,
)
from roaming.services.outbox import Pushable
from roaming.services.sync import Pullable
from tariffs import services as tariffs
from tariffs.models import Tariff


@dataclass(frozen=True)
class OcpiModule:
    identifier: str
    model: type[models.Model]
    service: ModuleType
    routes: tuple[Route, ...]
    pushable: Pushable | None = None
    pullable: Pullable | None = None

    def translator(self, dialect: Dialect) -> Translator | None:
        """The module's translator in `dialect`; None where that version does not have the module."""
        return dialect.modules.get(self.identifier)


MODULES: tuple[OcpiModule, ...] = (
    OcpiModule(
        "locations",
        Location,
        locations,
        locations_api.ROUTES,
        pushable=locations.PUSHABLE,
        pullable=locations.PULLABLE,
    ),
    OcpiModule("tariffs", Tariff, tariffs, tariffs_api.ROUTES, pushable=tariffs.PUSHABLE, pullable=tariffs.PULLABLE),
    OcpiModule(
        "sessions", Session, sessions, sessions_api.ROUTES, pushable=sessions.PUSHABLE, pullable=sessions.PULLABLE
    ),
    OcpiModule("cdrs", Cdr, cdrs, cdrs_api.ROUTES, pushable=cdrs.PUSHABLE, pullable=cdrs.PULLABLE),
    OcpiModule("tokens", Token, tokens, tokens_api.ROUTES, pushable=tokens.PUSHABLE, pullable=tokens.PULLABLE),
    # Commands and charging profiles push asynchronous results and active profiles, and pull nothing.
    OcpiModule("commands", Command, commands, commands_api.ROUTES, pushable=commands.PUSHABLE),
    OcpiModule(
        "chargingprofiles",
        ChargingProfileRequest,
        chargingprofiles,
        chargingprofiles_api.ROUTES,
        pushable=chargingprofiles.PUSHABLE,
    ),
    OcpiModule(
        "hubclientinfo",
        ClientInfo,
        hubclientinfo,
        hubclientinfo_api.ROUTES,
        pushable=hubclientinfo.PUSHABLE,
        pullable=hubclientinfo.PULLABLE,
    ),
    # Only 2.3.0 has it: the other versions' dialects do not declare its translator, so they neither list nor serve it.
    OcpiModule(
        "invoicereconciliation",
        InvoiceReconciliationRecord,
        invoicereconciliation,
        invoicereconciliation_api.ROUTES,
        pushable=invoicereconciliation.PUSHABLE,
        pullable=invoicereconciliation.PULLABLE,
    ),
)


def routes() -> tuple[Route, ...]:
    """Every interface of every module, in table order."""
    return tuple(route for module in MODULES for route in module.routes)


def pushables() -> tuple[Pushable, ...]:
    return tuple(module.pushable for module in MODULES if module.pushable is not None)


def pullables() -> tuple[Pullable, ...]:
    return tuple(module.pullable for module in MODULES if module.pullable is not None)
