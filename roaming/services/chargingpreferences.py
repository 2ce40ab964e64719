"""Charging preferences (2.2.1 mod_sessions, "Set: Charging Preferences"), both sides.

CPO side: an eMSP PUTs its driver's ChargingPreferences on one of our running sessions; we check the
session is the caller's driver's and the EVSE is CHARGING_PREFERENCES_CAPABLE (else HTTP 404 + 2001, as
the ChargingPreferencesResponse enum's note says), then the charge point backend decides the
ChargingPreferencesResponse. eMSP side: send() PUTs preferences to a CPO partner for one of its sessions
and keeps what we asked and what they answered on the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.db import transaction

from partners.models import InterfaceRole, Partner, Tenant
from roaming.errors import Invalid, NotOffered, UnknownObject
from roaming.models import Session, SessionStatus
from roaming.ocpi.client import OcpiClient, PartnerError, client_for
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.push import url_of
from roaming.services import session_site
from roaming.services.backend import backend
from roaming.services.ownership import partner_owns
from roaming.services.sessions import find

MODULE = "sessions"
#: Sessions a driver can still steer: preferences for one that has ended cannot be fulfilled.
_RUNNING = (SessionStatus.ACTIVE, SessionStatus.PENDING)


@transaction.atomic
def receive(*, tenant: Tenant, partner: Partner, session_id: str, preferences: dict) -> str:
    """The answer (ChargingPreferencesResponse) to a partner's preferences for one of our sessions; stored when
    ACCEPTED. A session of another eMSP's driver is unknown to the caller (its sender list does not show it)."""
    session = find(
        Session.objects.for_tenant(tenant).filter(partner__isnull=True).select_for_update(), session_id=session_id
    )
    token = session.cdr_token
    if not partner_owns(partner, token.get("country_code", ""), token.get("party_id", "")):
        raise UnknownObject(f"Unknown session {session_id!r}")
    evse = session_site.evses_of(session).first()
    if evse is None or "CHARGING_PREFERENCES_CAPABLE" not in evse.capabilities:
        raise NotOffered("The EVSE of this session does not take charging preferences")
    if session.status not in _RUNNING:
        return "NOT_POSSIBLE"
    answer = backend().charging_preferences(session=session, evse=evse, preferences=preferences)
    if answer == "ACCEPTED":
        session.charging_preferences = preferences
        session.save(update_fields=["charging_preferences"])
    return answer


@dataclass(frozen=True)
class Sent:
    response: str  # the ChargingPreferencesResponse, or "" when there was none
    error: str = ""


def send(*, tenant: Tenant, session: Session, preferences: dict, client: OcpiClient | None = None) -> Sent:
    """Ask the CPO partner running `session` (one of its sessions we received) to take the driver's preferences.
    The preferences and the answer are kept on the session; an error leaves the answer empty."""
    partner = session.partner
    if partner is None or partner.tenant_id != tenant.pk:
        raise Invalid("Charging preferences go to the CPO partner that runs the session")
    dialect = dialect_of(partner)
    translator = dialect.module(MODULE) if dialect else None
    if translator is None or not translator.supports_charging_preferences:
        return _keep(session, preferences, Sent("", f"OCPI {partner.version or '?'} has no charging preferences"))
    endpoint = partner.endpoints.filter(identifier=MODULE, role=InterfaceRole.SENDER).first()
    if endpoint is None:
        return _keep(session, preferences, Sent("", "The partner offers no sessions sender endpoint"))
    url = url_of(endpoint.url, f"{quote(session.session_id, safe='')}/charging_preferences")
    body = translator.charging_preferences_to_wire(preferences)
    try:
        result = (client or client_for(partner)).put(
            url, json=body, to_party=_party(session), from_party=_token_party(session)
        )
        sent = Sent(translator.charging_preferences_response_from_wire(result.object()))
    except PartnerError as exc:
        sent = Sent("", str(exc))
    except Invalid as exc:
        sent = Sent("", f"Their answer is invalid: {exc.message}")
    return _keep(session, preferences, sent)


def _keep(session: Session, preferences: dict, sent: Sent) -> Sent:
    Session.objects.filter(pk=session.pk).update(
        charging_preferences=preferences, charging_preferences_response=sent.response or f"error: {sent.error}"[:60]
    )
    return sent


def _party(session: Session) -> PartyRef:
    return PartyRef(session.country_code, session.party_id)


def _token_party(session: Session) -> PartyRef | None:
    token = session.cdr_token or {}
    return PartyRef(token["country_code"], token["party_id"]) if token.get("country_code") else None
