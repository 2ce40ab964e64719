"""CDRs services: receiving a CDR (once), building the tenant's own CDR from an ended session (once),
their pushes (POST, exactly once), the sender's selector, and pulls (mod_cdrs, both versions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from partners.models import Partner, PartnerParty, Party, Role, Tenant
from roaming.errors import Invalid, UnknownObject
from roaming.models import Cdr, Connector, Delivery, DeliveryMethod, DeliveryStatus, Session
from roaming.models.sessions import SessionStatus
from roaming.ocpi.client import PartnerError, client_for
from roaming.ocpi.common import jsonable
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.timestamps import format_datetime
from roaming.services import outbox, ownership, session_site, sync
from roaming.services.ownership import pull_owner
from roaming.services.tokens import resolve_cdr_token
from tariffs.models import Tariff
from tariffs.pricing import SessionPrice, parse_terms, price_session, terms_of

MODULE = "cdrs"
_FIELDS = [f.name for f in Cdr._meta.concrete_fields if f.name not in ("id", "tenant", "partner")]


@dataclass(frozen=True)
class Stored:
    cdr: Cdr
    object_path: str
    #: False when the same CDR had been stored before (a POST retried after its answer was lost).
    created: bool = True


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Cdr, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own CDRs a partner may list: of the connection's CPO parties, for the partner's drivers;
    credit CDRs only where the version can say so."""
    owners = ownership.listed_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.CPO)
    drivers = ownership.drivers_of_q(partner)
    queryset = Cdr.objects.for_tenant(tenant).filter(owners, drivers)
    if not dialect.module(MODULE).carries_credit:
        queryset = queryset.exclude(credit=True)
    return queryset


def find(queryset: QuerySet, *, cdr_id: str) -> Cdr:
    cdr = queryset.filter(cdr_id__iexact=cdr_id).first()
    if cdr is None:
        raise UnknownObject(f"Unknown CDR {cdr_id!r}")
    return cdr


def _same_cdr(stored: Cdr, data: dict) -> bool:
    """Whether `data` is the stored CDR again: every field it carries equal (numbers by value, other ids as
    stored); its own id, a CiString, in any case."""
    for name, value in data.items():
        if name not in _FIELDS or name in ("country_code", "party_id", "last_updated"):
            continue
        if name == "cdr_id" and stored.cdr_id.upper() == value.upper():
            continue
        if getattr(stored, name) != value:
            return False
    return True


@transaction.atomic
def store_cdr(*, tenant: Tenant, partner: Partner | None, data: dict) -> Stored:
    """Store a CDR once. A CDR is final: the same CDR again (a POST retried after its answer was lost) is
    taken as success and stored once (decisions.md, "Idempotent CDR POST"); a different one with the same
    owner and id is refused (2001) and the first stays as it was. The tenant's own CDRs are owed to the
    driver's eMSP as a POST, and so are a hub tenant's received ones."""
    resolve_cdr_token(tenant=tenant, data=data)
    before = (
        owned_by(tenant=tenant, country_code=data["country_code"], party_id=data["party_id"])
        .filter(cdr_id__iexact=data["cdr_id"])
        .first()
    )
    if before is not None:
        if before.partner_id == (partner.pk if partner else None) and _same_cdr(before, data):
            return Stored(before, before.object_path, created=False)
        raise Invalid(f"id: CDR {data['cdr_id']!r} was received before; CDRs cannot be changed", field="id")
    cdr = Cdr(tenant=tenant, partner=partner, **{k: v for k, v in data.items() if k in _FIELDS})
    cdr.country_code, cdr.party_id = cdr.country_code.upper(), cdr.party_id.upper()
    cdr.save()
    # The tenant's own CDRs go to the driver's eMSP; one received from a partner only a hub passes on, as it
    # does sessions (topology: the hub forwards CDRs between the parties it connects), never back to the sender.
    outbox.record_own_or_hub_change(
        tenant=tenant, partner=partner, module=MODULE, object_path=cdr.object_path, method=DeliveryMethod.POST
    )
    return Stored(cdr, cdr.object_path)


class SessionNotBillable(ValueError):
    """The session cannot become a CDR (yet): the message says why."""


@dataclass(frozen=True)
class Built:
    cdr: Cdr
    created: bool


#: Dimensions 2.2.1 marks "Session Only": a CDR's charging periods leave them out (CdrDimensionType).
SESSION_ONLY_DIMENSIONS = frozenset({"CURRENT", "ENERGY_EXPORT", "ENERGY_IMPORT", "POWER", "STATE_OF_CHARGE"})
_PROFILE_TARIFF_TYPES = {"CHEAP": "PROFILE_CHEAP", "FAST": "PROFILE_FAST", "GREEN": "PROFILE_GREEN"}
_FOUR_PLACES = Decimal("0.0001")


@transaction.atomic
def build_cdr_from_session(*, tenant: Tenant, session: Session, now: datetime | None = None) -> Built:
    """The CDR of an ended session of one of the tenant's own CPO parties, priced under the tariff of its
    connector, stored once and owed to the driver's eMSP. The CDR id is the session id, so asking again (a
    retried task, a second trigger) returns the stored CDR instead of billing twice.

    The tariff is the one stored now: the platform keeps no copy of it from the session's start, so a tariff
    should not be changed under running sessions (mod_tariffs notes that changing it mid-session is often
    unlawful anyway). Raises SessionNotBillable when the session is not ended, not the tenant's own, or its
    connector or tariffs are not known."""
    session = Session.objects.for_tenant(tenant).select_for_update().get(pk=session.pk)
    _check_billable(tenant, session)
    existing = owned_by_party(Cdr, tenant=tenant, country_code=session.country_code, party_id=session.party_id)
    if (found := existing.filter(cdr_id__iexact=session.session_id).first()) is not None:
        return Built(found, created=False)
    quote = quote_session(tenant=tenant, session=session)
    connector, tariff, periods, priced = quote.connector, quote.tariff, quote.periods, quote.price
    data = {
        "country_code": session.country_code,
        "party_id": session.party_id,
        "cdr_id": session.session_id,
        "start_date_time": session.start_date_time,
        "end_date_time": session.end_date_time,
        "session_id": session.session_id,
        "cdr_token": session.cdr_token,
        "auth_method": session.auth_method,
        "authorization_reference": session.authorization_reference,
        "extensions": session.extensions,
        "cdr_location": _cdr_location(connector),
        "meter_id": session.meter_id,
        "currency": session.currency,
        "tariffs": [_sealed_tariff(tariff)] if tariff else [],
        "charging_periods": _cdr_periods(periods, tariff),
        **_totals(session, priced),
        "last_updated": now or timezone.now(),
    }
    return Built(store_cdr(tenant=tenant, partner=None, data=data).cdr, created=True)


@dataclass(frozen=True)
class Quote:
    """What a session costs under the tariff of its connector, with what the price was worked out from."""

    connector: Connector
    tariff: Tariff | None
    periods: list[dict]
    price: SessionPrice


def quote_session(*, tenant: Tenant, session: Session) -> Quote:
    """Price a session of the tenant under the tariff that applies to it (ended or still running: the admin
    shows the cost so far). Raises SessionNotBillable when its connector or tariff cannot be found."""
    connector = _session_connector(tenant, session)
    tariff = _applicable_tariff(tenant, session, connector)
    if tariff is not None and tariff.currency.upper() != session.currency.upper():
        raise SessionNotBillable(
            f"session {session.session_id!r} is in {session.currency}, "
            f"its tariff {tariff.tariff_id!r} in {tariff.currency}"
        )
    periods = session.charging_periods or [_whole_session_period(session)]
    priced = price_session(
        terms=terms_of(tariff) if tariff else parse_terms(elements=()),
        start=session.start_date_time,
        end=session.end_date_time or timezone.now(),
        charging_periods=periods,
        time_zone=connector.evse.location.time_zone,
        currency=session.currency,
    )
    return Quote(connector, tariff, periods, priced)


def _check_billable(tenant: Tenant, session: Session) -> None:
    if session.partner_id is not None:
        raise SessionNotBillable(f"session {session.session_id!r} was received from a partner: its CPO bills it")
    if not (
        Party.objects.for_tenant(tenant)
        .filter(role=Role.CPO, country_code=session.country_code, party_id=session.party_id)
        .exists()
    ):
        raise SessionNotBillable(f"session {session.session_id!r} is not of one of the tenant's CPO parties")
    if session.end_date_time is None or session.status != SessionStatus.COMPLETED:
        raise SessionNotBillable(f"session {session.session_id!r} has not ended (status {session.status})")


def _session_connector(tenant: Tenant, session: Session) -> Connector:
    connector = session_site.connectors_of(session).select_related("evse__location").first()
    if connector is None:
        raise SessionNotBillable(
            f"session {session.session_id!r}: no connector {session.location_id}/{session.evse_uid}/"
            f"{session.connector_id} among the party's locations"
        )
    return connector


def _applicable_tariff(tenant: Tenant, session: Session, connector: Connector) -> Tariff | None:
    """The connector's tariff for this session: valid at its start (start/end_date_time), of the type its
    charging preferences or ad-hoc payment ask for, else REGULAR, else one without a type (valid for all
    sessions, mod_tariffs TariffType). None when the connector names no tariff: the charging is not priced."""
    if not connector.tariff_ids:
        return None
    wanted = {tariff_id.upper() for tariff_id in connector.tariff_ids}
    stored = {
        tariff.tariff_id.upper(): tariff
        for tariff in owned_by_party(
            Tariff, tenant=tenant, country_code=session.country_code, party_id=session.party_id
        )
        if tariff.tariff_id.upper() in wanted
    }
    if missing := sorted(wanted - stored.keys()):
        raise SessionNotBillable(f"session {session.session_id!r}: connector names unknown tariffs {missing}")
    started = session.start_date_time
    valid = [
        stored[tariff_id.upper()] for tariff_id in connector.tariff_ids if _in_force(stored[tariff_id.upper()], started)
    ]
    profile = (session.charging_preferences or {}).get("profile_type", "")
    preferred = [
        "AD_HOC_PAYMENT" if session.cdr_token.get("type") == "AD_HOC_USER" else _PROFILE_TARIFF_TYPES.get(profile),
        "REGULAR",
        "",
    ]
    for tariff_type in preferred:
        for tariff in valid:
            if tariff.type == tariff_type:
                return tariff
    raise SessionNotBillable(f"session {session.session_id!r}: none of the connector's tariffs applies at its start")


def _in_force(tariff: Tariff, at: datetime) -> bool:
    return (tariff.start_date_time is None or tariff.start_date_time <= at) and (
        tariff.end_date_time is None or at < tariff.end_date_time
    )


def owned_by_party(model, *, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    """The tenant's own objects of one of its parties (not those received from partners)."""
    return ownership.owned_by(model, tenant=tenant, country_code=country_code, party_id=party_id).filter(
        partner__isnull=True
    )


def _whole_session_period(session: Session) -> dict:
    """A session that reported no charging periods: one period with its energy and duration."""
    hours = (session.end_date_time - session.start_date_time).total_seconds() / 3600
    return {
        "start_date_time": format_datetime(session.start_date_time),
        "dimensions": [{"type": "ENERGY", "volume": float(session.kwh)}, {"type": "TIME", "volume": hours}],
    }


def _cdr_periods(periods: list[dict], tariff: Tariff | None) -> list[dict]:
    out = []
    for period in periods:
        dimensions = [d for d in period["dimensions"] if d["type"] not in SESSION_ONLY_DIMENSIONS | {"FLAT"}]
        if dimensions:
            cdr_period = {"start_date_time": period["start_date_time"], "dimensions": dimensions}
            if tariff is not None:
                cdr_period["tariff_id"] = tariff.tariff_id
            out.append(cdr_period)
    return out


def _cdr_location(connector: Connector) -> dict:
    evse, location = connector.evse, connector.evse.location
    where = {"id": location.location_id}
    if location.name:
        where["name"] = location.name
    where.update(address=location.address, city=location.city)
    if location.postal_code:
        where["postal_code"] = location.postal_code
    if location.state:
        where["state"] = location.state
    where.update(
        country=location.country,
        coordinates={"latitude": location.latitude, "longitude": location.longitude},
        evse_uid=evse.uid,
        # Required; #NA where the EVSE has no eMI3 id (VERSION-DIFFERENCES 8.3).
        evse_id=evse.evse_id or "#NA",
        connector_id=connector.connector_id,
        connector_standard=connector.standard,
        connector_format=connector.format,
        connector_power_type=connector.power_type,
    )
    return where


def _sealed_tariff(tariff: Tariff) -> dict:
    """The tariff as the CDR keeps it: its internal dict, JSON-safe."""
    fields = [f.name for f in Tariff._meta.concrete_fields if f.name not in ("id", "tenant", "partner")]
    return jsonable({name: getattr(tariff, name) for name in fields})


def _price(priced: SessionPrice, category: str) -> dict | None:
    money = getattr(priced, f"total_{category}_cost")
    return priced.price(category) if money.excl_vat or money.incl_vat else None


def _totals(session: Session, priced: SessionPrice) -> dict:
    hours = Decimal((session.end_date_time - session.start_date_time).total_seconds()) / 3600
    return {
        "total_cost": priced.price(),
        "total_fixed_cost": _price(priced, "fixed"),
        "total_energy": priced.total_energy.quantize(_FOUR_PLACES),
        "total_energy_cost": _price(priced, "energy"),
        "total_time": hours.quantize(_FOUR_PLACES),
        "total_time_cost": _price(priced, "time"),
        "total_parking_time": priced.total_parking_time.quantize(_FOUR_PLACES),
        "total_parking_cost": _price(priced, "parking"),
        "total_reservation_cost": _price(priced, "reservation"),
    }


def _stored_connector(cdr: Cdr) -> Connector | None:
    where = cdr.cdr_location
    return Connector.objects.filter(
        tenant_id=cdr.tenant_id,
        evse__location__partner__isnull=True,
        evse__location__location_id__iexact=where["id"],
        evse__uid__iexact=where["evse_uid"],
        connector_id__iexact=where["connector_id"],
    ).first()


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    country_code, party_id, cdr_id = delivery.object_path.split("/", 2)
    cdr = Cdr.objects.filter(
        tenant_id=delivery.tenant_id, country_code=country_code, party_id=party_id, cdr_id=cdr_id
    ).first()
    translator = dialect.module(MODULE)
    if cdr is None or (cdr.credit and not translator.carries_credit):
        return None
    cdr.stored_connector = _stored_connector(cdr)
    # The CDR POST URL has no owner segments (mod_cdrs): the body goes to the endpoint itself.
    return outbox.OutgoingRequest(
        "POST",
        "",
        body=translator.to_wire(cdr),
        module=MODULE,
        from_party=PartyRef(country_code, party_id),
        to_party=PartyRef(cdr.cdr_token["country_code"], cdr.cdr_token["party_id"]),
        extensions=cdr.extensions,
    )


@dataclass(frozen=True)
class PartnerCopy:
    """A CDR as the partner we POSTed it to keeps it: fetched from the Location they answered (mod_cdrs)."""

    partner: str
    url: str
    data: dict | None
    error: str = ""


def partner_copies(*, tenant: Tenant, cdr: Cdr) -> list[PartnerCopy]:
    """GET our CDR back from every partner that took it and said where (the Location header of the POST's
    answer, kept on the delivery): what an operator compares when a partner reports a different amount."""
    deliveries = (
        Delivery.objects.for_tenant(tenant)
        .filter(module=MODULE, object_path=cdr.object_path, status=DeliveryStatus.DELIVERED)
        .exclude(remote_url="")
        .select_related("partner", "partner__bound_party")
    )
    copies = []
    for delivery in deliveries:
        try:
            data = client_for(delivery.partner).get(delivery.remote_url).object()
            copies.append(PartnerCopy(delivery.partner.name, delivery.remote_url, data))
        except PartnerError as exc:
            copies.append(PartnerCopy(delivery.partner.name, delivery.remote_url, None, str(exc)))
    return copies


def audience(partner: Partner, object_path: str) -> bool:
    """A CDR goes only to the eMSP whose driver it is."""
    country_code, party_id, cdr_id = object_path.split("/", 2)
    cdr = (
        Cdr.objects.filter(tenant_id=partner.tenant_id, country_code=country_code, party_id=party_id, cdr_id=cdr_id)
        .only("cdr_token")
        .first()
    )
    return (
        cdr is not None
        and PartnerParty.objects.filter(
            partner=partner, country_code=cdr.cdr_token["country_code"], party_id=cdr.cdr_token["party_id"]
        ).exists()
    )


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Stored | None:
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire)
    bound = partner.bound_party
    data = translator.from_wire(wire, owner=owner, token_owner=(bound.country_code, bound.party_id) if bound else None)
    if (
        owned_by(tenant=partner.tenant, country_code=owner[0], party_id=owner[1])
        .filter(cdr_id__iexact=data["cdr_id"])
        .exists()
    ):
        return None  # pulled before: CDRs never change
    return store_cdr(tenant=partner.tenant, partner=partner, data=data)


PUSHABLE = outbox.Pushable(MODULE, build=build_push, audience=audience)
PULLABLE = sync.Pullable(MODULE, ingest=ingest)
