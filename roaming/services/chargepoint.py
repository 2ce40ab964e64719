"""The charge point side of received commands and charging profile requests: a pluggable backend, and a
simulator for demos and tests.

A backend is a class named by the CHARGE_POINT_BACKEND setting. `dispatch(command)` is called after an
accepted command is committed. It passes the command on to the charge point (OCPP or anything else) and
reports the charge point's answer later, from wherever it arrives, through
`commands.charge_point_result(command_id=…, result=…)` with a 2.2.1 CommandResultType; the platform
forwards it to the eMSP. An answer that never comes ends as TIMEOUT at the command's deadline.

Charging profile requests go the same way: `set_profile(request)`, `get_profile(request)` and
`clear_profile(request)` (a ChargingProfileRequest), answered through
`chargingprofiles.charge_point_result(request_id=…, result=…, profile=…)` with a ChargingProfileResultType
and, for a GET, the ActiveChargingProfile. A plan the charge point changes by itself is reported through
`chargingprofiles.report_active_profile(tenant=…, session_id=…, active=…)`.

A driver who starts charging at a charge point with a token (an RFID card) is reported through
`token_presented(evse=…, connector=…, token=…)`: the platform decides per the token's whitelist, asking the
eMSP in real time where it must (mod_tokens), and starts the session when allowed.

Charging preferences (2.2.1 mod_sessions) are answered at once: `charging_preferences(session=…, evse=…,
preferences=…)` returns a ChargingPreferencesResponse, which the platform gives the eMSP in the PUT's answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from roaming.models import (
    ChargingProfileDirection,
    ChargingProfileKind,
    ChargingProfileRequest,
    Command,
    CommandDirection,
    CommandType,
    Connector,
    Evse,
    Session,
    Token,
)
from roaming.models.chargingprofiles import WAITING as PROFILE_WAITING
from roaming.models.commands import WAITING
from roaming.ocpi.timestamps import parse_datetime
from roaming.services import chargingprofiles, commands, jobs, session_site, sessions, tokens
from roaming.services.backend import ChargePointBackend, backend  # noqa: F401 - the module's public interface
from tariffs.models import Tariff

#: What the simulator answers when told to stay silent.
NO_ANSWER = "NO_ANSWER"


class SimulatorBackend:
    """Plays every charge point: answers CHARGE_POINT_SIMULATOR_RESULT after CHARGE_POINT_SIMULATOR_DELAY_SECONDS
    (a Celery task with a countdown), or nothing at all for NO_ANSWER."""

    def dispatch(self, command: Command) -> None:
        if settings.CHARGE_POINT_SIMULATOR_RESULT == NO_ANSWER:
            return
        jobs.enqueue(jobs.SIMULATE_CHARGE_POINT, command.pk, countdown=settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS)

    def set_profile(self, request: ChargingProfileRequest) -> None:
        self._answer_profile_later(request)

    def get_profile(self, request: ChargingProfileRequest) -> None:
        self._answer_profile_later(request)

    def clear_profile(self, request: ChargingProfileRequest) -> None:
        self._answer_profile_later(request)

    def charging_preferences(self, *, session: Session, evse: Evse, preferences: dict) -> str:
        """What a smart-charging charge point can promise (mod_sessions ChargingPreferencesResponse):
        FAST needs a departure time; CHEAP and GREEN plan the energy need up to the departure, so they need
        both; a profile other than REGULAR needs a tariff of its type on the connector (mod_sessions: "for every
        supported ProfileType, a Tariff MUST be provided"); an energy need the connector cannot deliver by the
        departure at its maximum power is NOT_POSSIBLE."""
        profile_type = preferences["profile_type"]
        departure, energy_need = preferences.get("departure_time"), preferences.get("energy_need")
        if profile_type in ("FAST", "CHEAP", "GREEN") and departure is None:
            return "DEPARTURE_REQUIRED"
        if profile_type in ("CHEAP", "GREEN") and energy_need is None:
            return "ENERGY_NEED_REQUIRED"
        connector = evse.connectors.filter(connector_id__iexact=session.connector_id).first()
        if profile_type != "REGULAR" and not _connector_has_tariff_type(session, connector, f"PROFILE_{profile_type}"):
            return "PROFILE_TYPE_NOT_SUPPORTED"
        if departure is not None and energy_need is not None and connector is not None:
            hours = max((parse_datetime(departure) - timezone.now()).total_seconds(), 0) / 3600
            if float(energy_need) > _max_power_kw(connector) * hours:
                return "NOT_POSSIBLE"
        return "ACCEPTED"

    def _answer_profile_later(self, request: ChargingProfileRequest) -> None:
        if settings.CHARGE_POINT_SIMULATOR_RESULT == NO_ANSWER:
            return
        jobs.enqueue(
            jobs.SIMULATE_CHARGING_PROFILE, request.pk, countdown=settings.CHARGE_POINT_SIMULATOR_DELAY_SECONDS
        )


@dataclass(frozen=True)
class TokenStart:
    """What came of a driver presenting a token: the session started, or why none did."""

    session: Session | None
    decision: tokens.StartDecision


def token_presented(*, evse: Evse, connector: Connector, token: Token, now=None) -> TokenStart:
    """A driver presents `token` (one an eMSP partner pushed or we pulled) at one of the tenant's own EVSEs.

    mod_tokens WhitelistType decides whether the eMSP is asked first (tokens.decide_start: real-time
    authorization with TOKEN_AUTHORIZATION_TIMEOUT and the offline fallback the whitelist allows); when the
    start is allowed, an ACTIVE session begins with auth_method AUTH_REQUEST (the eMSP answered) or WHITELIST,
    carrying the eMSP's authorization_reference into the session and so into its CDR. Call it outside a
    transaction: the eMSP is called over HTTP."""
    location = evse.location
    references = {"location_id": location.location_id, "evse_uids": [evse.uid]}
    decision = tokens.decide_start(token=token, location=references)
    if not decision.allowed:
        return TokenStart(None, decision)
    now = now or timezone.now()
    tariff = (
        Tariff.objects.for_tenant(location.tenant_id)
        .filter(partner__isnull=True, tariff_id__in=connector.tariff_ids)
        .first()
    )
    session_id = uuid.uuid4().hex
    sessions.put_session(
        tenant=location.tenant,
        partner=None,
        country_code=location.country_code,
        party_id=location.party_id,
        session_id=session_id,
        data={
            "start_date_time": now,
            "kwh": 0,
            "cdr_token": {
                "country_code": token.country_code,
                "party_id": token.party_id,
                "uid": token.uid,
                "type": token.type,
                "contract_id": token.contract_id,
            },
            "auth_method": "AUTH_REQUEST" if decision.source == "eMSP" else "WHITELIST",
            "authorization_reference": decision.authorization_reference,
            "extensions": decision.extensions,
            "location_id": location.location_id,
            "evse_uid": evse.uid,
            "connector_id": connector.connector_id,
            "currency": tariff.currency if tariff else "EUR",
            "charging_periods": [],
            "status": "ACTIVE",
            "last_updated": now,
        },
    )
    session = Session.objects.for_tenant(location.tenant).get(partner__isnull=True, session_id=session_id)
    return TokenStart(session, decision)


def _connector_has_tariff_type(session: Session, connector: Connector | None, tariff_type: str) -> bool:
    if connector is None or not connector.tariff_ids:
        return False
    wanted = [tariff_id.upper() for tariff_id in connector.tariff_ids]
    tariffs = Tariff.objects.filter(
        tenant_id=session.tenant_id, partner__isnull=True, country_code=session.country_code, type=tariff_type
    )
    return any(t.tariff_id.upper() in wanted for t in tariffs.only("tariff_id"))


_PHASES = {"AC_1_PHASE": 1, "AC_2_PHASE": 2, "AC_2_PHASE_SPLIT": 2, "AC_3_PHASE": 3, "DC": 1}


def _max_power_kw(connector: Connector) -> float:
    """The connector's max_electric_power, else voltage x amperage x phases (mod_locations Connector)."""
    if connector.max_electric_power:
        return connector.max_electric_power / 1000
    return connector.max_voltage * connector.max_amperage * _PHASES.get(connector.power_type, 1) / 1000


def simulate(*, command_id: int) -> Command | None:
    """The simulated charge point answers; an accepted START_SESSION starts a session, STOP_SESSION ends it.
    One transaction with the command locked, so that running twice starts no second session."""
    with transaction.atomic():
        record = (
            Command.objects.select_for_update()
            .filter(pk=command_id, direction=CommandDirection.RECEIVED, status__in=WAITING)
            .first()
        )
        if record is None:
            return None
        result = settings.CHARGE_POINT_SIMULATOR_RESULT
        if result == "ACCEPTED" and record.command == CommandType.START_SESSION:
            result = "ACCEPTED" if start_session(command=record) else "EVSE_INOPERATIVE"
        elif result == "ACCEPTED" and record.command == CommandType.STOP_SESSION:
            result = "ACCEPTED" if stop_session(command=record) else "FAILED"
        return commands.charge_point_result(command_id=command_id, result=result)


def start_session(*, command: Command) -> Session | None:
    """An ACTIVE session for the command's token at its location (the EVSE and connector it names, else the
    first ones), started by COMMAND; None when the location has changed so that there is nowhere to charge."""
    request = command.request
    target = commands.find_target(tenant=command.tenant, request=request)
    if isinstance(target, str):
        return None
    evse = target.evse or target.location.evses.exclude(status="REMOVED").first()
    connector = target.connector or (evse.connectors.first() if evse else None)
    if connector is None:
        return None
    tariff = (
        Tariff.objects.for_tenant(command.tenant)
        .filter(partner__isnull=True, tariff_id__in=connector.tariff_ids)
        .first()
    )
    token = request["token"]
    now = timezone.now()
    session_id = uuid.uuid4().hex
    sessions.put_session(
        tenant=command.tenant,
        partner=None,
        country_code=target.location.country_code,
        party_id=target.location.party_id,
        session_id=session_id,
        data={
            "start_date_time": now,
            "kwh": 0,
            "cdr_token": {k: token[k] for k in ("country_code", "party_id", "uid", "type", "contract_id")},
            "auth_method": "COMMAND",
            "authorization_reference": request.get("authorization_reference", ""),
            "location_id": target.location.location_id,
            "evse_uid": evse.uid,
            "connector_id": connector.connector_id,
            "currency": tariff.currency if tariff else "EUR",
            "status": "ACTIVE",
            "last_updated": now,
        },
    )
    return Session.objects.for_tenant(command.tenant).get(partner__isnull=True, session_id=session_id)


def stop_session(*, command: Command) -> Session | None:
    """The command's session COMPLETED now; None when it is gone."""
    session = (
        Session.objects.for_tenant(command.tenant)
        .filter(partner__isnull=True, session_id__iexact=command.request["session_id"])
        .first()
    )
    if session is None:
        return None
    now = timezone.now()
    sessions.patch_session(
        tenant=command.tenant,
        partner=None,
        country_code=session.country_code,
        party_id=session.party_id,
        session_id=session.session_id,
        fields={"status": "COMPLETED", "end_date_time": now, "last_updated": now},
        append_periods=True,
    )
    session.refresh_from_db()
    return session


def simulate_charging_profile(*, request_id: int) -> ChargingProfileRequest | None:
    """The simulated charge point answers a charging profile request: ACCEPTED when the simulator accepts,
    else REJECTED (ChargingProfileResultType has nothing finer). An accepted GET returns the profile last set
    on the session, or, with none, the connector's full capacity (mod_charging_profiles: with no profile
    active the ActiveChargingProfile shows the maximum charging capacity of the EVSE)."""
    with transaction.atomic():
        record = (
            ChargingProfileRequest.objects.select_for_update()
            .filter(pk=request_id, direction=ChargingProfileDirection.RECEIVED, status__in=PROFILE_WAITING)
            .first()
        )
        if record is None:
            return None
        result = "ACCEPTED" if settings.CHARGE_POINT_SIMULATOR_RESULT == "ACCEPTED" else "REJECTED"
        profile = None
        if result == "ACCEPTED" and record.kind == ChargingProfileKind.GET:
            profile = planned_profile(request=record)
        return chargingprofiles.charge_point_result(request_id=request_id, result=result, profile=profile)


def planned_profile(*, request: ChargingProfileRequest) -> dict:
    """The ActiveChargingProfile the simulated charge point plans for the next `duration` seconds (32 A, a
    common AC maximum, when the session's connector is gone)."""
    tenant, session_id = request.tenant, request.session_id
    known = chargingprofiles.active_profile(tenant=tenant, partner=None, session_id=session_id)
    if known is not None:
        profile = {**known.charging_profile, "duration": request.duration}
        return {"start_date_time": timezone.now(), "charging_profile": profile}
    session = Session.objects.for_tenant(tenant).filter(partner__isnull=True, session_id__iexact=session_id).first()
    connector = None
    if session is not None:
        connector = session_site.connectors_of(session).first()
    if connector is not None and connector.max_electric_power:
        unit, limit = "W", connector.max_electric_power
    else:
        unit, limit = "A", connector.max_amperage if connector is not None else 32
    profile = {
        "duration": request.duration,
        "charging_rate_unit": unit,
        "charging_profile_period": [{"start_period": 0, "limit": float(limit)}],
    }
    return {"start_date_time": timezone.now(), "charging_profile": profile}
