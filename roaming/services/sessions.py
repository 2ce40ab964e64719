"""Sessions services: the receiver's PUT and PATCH, the sender's selector, charging preferences, and
how sessions are pushed and pulled (mod_sessions, both versions)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper

from partners.models import Partner, PartnerParty, Role, Tenant
from roaming.errors import UnknownObject
from roaming.models import DeliveryMethod, Location, Session
from roaming.models.sessions import SessionStatus
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.timestamps import now
from roaming.services import cdrs, outbox, ownership, sync
from roaming.services.changes import Change
from roaming.services.ownership import pull_owner
from roaming.services.tokens import resolve_cdr_token

MODULE = "sessions"
logger = logging.getLogger(__name__)
_FIELDS = [
    f.name
    for f in Session._meta.concrete_fields
    if f.name not in ("id", "tenant", "partner", "country_code", "party_id", "session_id")
]


def owned_by(*, tenant: Tenant, country_code: str, party_id: str) -> QuerySet:
    return ownership.owned_by(Session, tenant=tenant, country_code=country_code, party_id=party_id)


def visible_to(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> QuerySet:
    """The tenant's own sessions a partner may list: of the connection's CPO parties, with tokens of the
    partner's eMSP parties (a CPO tells each eMSP about its own drivers only)."""
    owners = ownership.listed_q(tenant=tenant, partner=partner, dialect=dialect, role=Role.CPO)
    drivers = ownership.drivers_of_q(partner)
    return Session.objects.for_tenant(tenant).filter(owners, drivers)


def find(queryset: QuerySet, *, session_id: str) -> Session:
    session = queryset.filter(session_id__iexact=session_id).first()
    if session is None:
        raise UnknownObject(f"Unknown session {session_id!r}")
    return session


def with_locations(tenant: Tenant, sessions: list[Session]) -> list[Session]:
    """Attach each session's stored Location (the 2.1.1 form embeds it) in one query."""
    ids = {s.location_id.upper() for s in sessions}
    if not ids:
        return sessions
    locations = {
        loc.location_id.upper(): loc
        for loc in Location.objects.for_tenant(tenant)
        .annotate(id_key=Upper("location_id"))  # CiString: the session may name it in another case
        .filter(partner__isnull=True, id_key__in=ids)
        .prefetch_related("evses__connectors")
    }
    for session in sessions:
        session.location_object = locations.get(session.location_id.upper())
    return sessions


def _record(tenant: Tenant, partner: Partner | None, path: str, method: str, fields=()) -> None:
    outbox.record_own_or_hub_change(
        tenant=tenant, partner=partner, module=MODULE, object_path=path, method=method, fields=fields
    )


def _bill_if_ended(tenant: Tenant, partner: Partner | None, session: Session) -> None:
    """A session of the tenant's own that has ended becomes its CDR in the same transaction, so no ended
    session is left unbilled (building is idempotent: a later write of the session finds the CDR)."""
    if partner is not None or session.status != SessionStatus.COMPLETED or session.end_date_time is None:
        return
    try:
        cdrs.build_cdr_from_session(tenant=tenant, session=session)
    except cdrs.SessionNotBillable as exc:
        logger.warning("No CDR for session %s: %s", session.object_path, exc)


@transaction.atomic
def put_session(
    *, tenant: Tenant, partner: Partner | None, country_code: str, party_id: str, session_id: str, data: dict
) -> Change:
    """Create or replace a session; its charging periods replace the stored ones."""
    ownership.check_ids(
        {
            "id": (data.get("session_id"), session_id),
            "country_code": (data.get("country_code"), country_code),
            "party_id": (data.get("party_id"), party_id),
        }
    )
    resolve_cdr_token(tenant=tenant, data=data)
    session, created = ownership.upsert_owned(
        Session,
        tenant=tenant,
        partner=partner,
        country_code=country_code,
        party_id=party_id,
        key={"session_id": session_id},
        data=data,
        fields=_FIELDS,
    )
    _record(tenant, partner, session.object_path, DeliveryMethod.PUT)
    _bill_if_ended(tenant, partner, session)
    return Change(created, session.object_path)


@transaction.atomic
def patch_session(
    *,
    tenant: Tenant,
    partner: Partner | None,
    country_code: str,
    party_id: str,
    session_id: str,
    fields: dict,
    append_periods: bool,
) -> Change:
    """Apply a PATCH: in 2.2.1 charging_periods are added to the stored ones, in 2.1.1 they replace them.
    A PATCH without last_updated (2.1.1) is stamped on receipt."""
    fields = dict(fields)
    fields.pop("session_id", None)
    fields.setdefault("last_updated", now())
    session = find(
        owned_by(tenant=tenant, country_code=country_code, party_id=party_id).select_for_update(), session_id=session_id
    )
    ownership.refuse_stale(session.last_updated, fields["last_updated"], f"session {session.object_path}")
    periods = fields.pop("charging_periods", None)
    if periods:
        session.charging_periods = (session.charging_periods + periods) if append_periods else periods
        fields["charging_periods"] = session.charging_periods
    for name, value in fields.items():
        if name in _FIELDS:
            setattr(session, name, value)
    session.save()
    _record(tenant, partner, session.object_path, DeliveryMethod.PATCH, [k for k in fields if k in _FIELDS])
    _bill_if_ended(tenant, partner, session)
    return Change(False, session.object_path)


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    country_code, party_id, session_id = delivery.object_path.split("/", 2)
    session = Session.objects.filter(
        tenant_id=delivery.tenant_id, country_code=country_code, party_id=party_id, session_id=session_id
    ).first()
    if session is None:
        return None
    with_locations(session.tenant, [session])
    translator = dialect.module(MODULE)
    body = translator.to_wire(session)
    method = delivery.method
    sent = {
        "module": MODULE,
        "from_party": PartyRef(country_code, party_id),
        "to_party": PartyRef(session.cdr_token["country_code"], session.cdr_token["party_id"]),
        "extensions": session.extensions,
    }
    whole = outbox.OutgoingRequest("PUT", delivery.object_path, body=body, **sent)
    if method == DeliveryMethod.PATCH:
        if translator.patch_appends_charging_periods and "charging_periods" in delivery.fields:
            return whole  # which periods are new is not known any more: send the whole session
        wanted = {translator.wire_names.get(name, name) for name in delivery.fields} | {"last_updated"}
        patch = {k: v for k, v in body.items() if k in wanted}
        return outbox.OutgoingRequest(method, delivery.object_path, body=patch, whole=whole, **sent)
    return outbox.OutgoingRequest(method, delivery.object_path, body=body, **sent)


def audience(partner: Partner, object_path: str) -> bool:
    """A session goes only to the eMSP whose driver it is."""
    country_code, party_id, session_id = object_path.split("/", 2)
    session = (
        Session.objects.filter(
            country_code=country_code, party_id=party_id, session_id=session_id, tenant_id=partner.tenant_id
        )
        .only("cdr_token")
        .first()
    )
    if session is None:
        return False
    return PartnerParty.objects.filter(
        partner=partner, country_code=session.cdr_token["country_code"], party_id=session.cdr_token["party_id"]
    ).exists()


def ingest(partner: Partner, dialect: Dialect, wire: dict) -> Change:
    translator = dialect.module(MODULE)
    owner = pull_owner(partner=partner, translator=translator, wire=wire)
    data = translator.from_wire(wire, owner=owner, token_owner=_token_owner(partner))
    return put_session(
        tenant=partner.tenant,
        partner=partner,
        country_code=owner[0],
        party_id=owner[1],
        session_id=data["session_id"],
        data=data,
    )


def _token_owner(partner: Partner) -> tuple[str, str] | None:
    """The eMSP party of ours a 2.1.1 connection speaks for: the owner of the drivers' tokens."""
    party = partner.bound_party
    return (party.country_code, party.party_id) if party is not None else None


#: Sessions a driver's eMSP still acts on: once ended, a session is settled by its CDR.
_NOT_ENDED = (SessionStatus.ACTIVE, SessionStatus.PENDING, SessionStatus.RESERVATION)


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """Paths of the sessions a partner holds of ours once in sync: those of its drivers not ended yet."""
    owned = visible_to(tenant=partner.tenant, partner=partner, dialect=dialect).filter(status__in=_NOT_ENDED)
    return ["/".join(row) for row in owned.order_by("pk").values_list("country_code", "party_id", "session_id")]


PUSHABLE = outbox.Pushable(MODULE, build=build_push, audience=audience, current=current)
PULLABLE = sync.Pullable(MODULE, ingest=ingest)
