"""The demo's charge points: every few seconds some EVSEs of the demo CPO change status, drivers of its eMSP
partners present their tokens at free EVSEs and running sessions end, so that pushes of locations, sessions and
CDRs flow to every registered partner, whatever its version. The drivers are those whose tokens the CPO holds
from its partners (pulled, or pushed to it), so a newly connected eMSP soon sees sessions and CDRs of its own
drivers. Beat runs it when CHARGE_POINT_SIMULATOR_ENABLED is on (the embedded demo's default).

Every change goes through the services a real charge point backend would call: set_evse_status,
chargepoint.token_presented (the token's whitelist decides, asking its eMSP in real time where it must),
patch_session (which bills an ended session of the tenant's own as its CDR).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ops.demo import CPO
from partners.models import PartnerStatus, Tenant
from roaming.models import Evse, EvseStatus, Session, Token
from roaming.models.sessions import SessionStatus
from roaming.services import chargepoint, locations, sessions

#: What an EVSE out of service shows; they come back AVAILABLE in a later step.
OUT_OF_SERVICE = (EvseStatus.BLOCKED, EvseStatus.OUTOFORDER, EvseStatus.INOPERATIVE)
AC_POWER_KW = 11
#: A session runs at least this long before a step may end it.
MIN_SESSION = timedelta(minutes=2)


@dataclass
class Step:
    """What one step changed: paths of EVSEs whose status changed, ids of sessions started and ended, and the
    tokens refused a start ("uid: who decided")."""

    statuses: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _evse_path(evse: Evse) -> str:
    return f"{evse.location.object_path}/{evse.uid}"


def simulate_step(
    *, tenant: Tenant, rng: random.Random, now: datetime | None = None, changes: int = 3, starts: int = 1, ends: int = 1
) -> Step:
    """Change `changes` EVSE statuses (out of service and back), have `starts` drivers of eMSP partners present
    their tokens at AVAILABLE EVSEs (a session and the EVSE CHARGING when allowed) and end `ends` sessions
    running for MIN_SESSION or longer (COMPLETED with energy and time, EVSE to AVAILABLE).

    Each change commits on its own, as a charge point's would: a start may ask the eMSP over HTTP, which no
    open transaction may wait for (on the embedded SQLite it would hold the only write lock)."""
    now = now or timezone.now()
    step = Step()
    own = Evse.objects.for_tenant(tenant).filter(location__partner__isnull=True).select_related("location", "tenant")
    for _ in range(changes):
        back = rng.random() < 0.5
        candidates = list(own.filter(status__in=OUT_OF_SERVICE if back else [EvseStatus.AVAILABLE]).order_by("pk"))
        if not candidates:
            continue
        evse = rng.choice(candidates)
        locations.set_evse_status(evse=evse, status=EvseStatus.AVAILABLE if back else rng.choice(OUT_OF_SERVICE))
        step.statuses.append(_evse_path(evse))
    for _ in range(starts):
        token = _driver(tenant, rng)
        candidates = list(own.filter(status=EvseStatus.AVAILABLE, connectors__isnull=False).distinct().order_by("pk"))
        if token is None or not candidates:
            break
        evse = rng.choice(candidates)
        connector = evse.connectors.order_by("position", "pk").first()
        started = chargepoint.token_presented(evse=evse, connector=connector, token=token, now=now)
        if started.session is None:
            step.refused.append(f"{token.uid}: {started.decision.source}")
            continue
        locations.set_evse_status(evse=evse, status=EvseStatus.CHARGING)
        step.started.append(started.session.session_id)
    running = Session.objects.for_tenant(tenant).filter(
        partner__isnull=True, status=SessionStatus.ACTIVE, start_date_time__lte=now - MIN_SESSION
    )
    for session in rng.sample(list(running.order_by("pk")), k=min(ends, running.count())):
        _end(tenant, session, now)
        step.ended.append(session.session_id)
    return step


def _driver(tenant: Tenant, rng: random.Random) -> Token | None:
    """A token the tenant holds from a registered eMSP partner, the partner drawn first: a newly connected eMSP
    with a handful of drivers gets as many sessions as one with thousands."""
    received = Token.objects.for_tenant(tenant).filter(partner__status=PartnerStatus.REGISTERED)
    partner_ids = sorted(set(received.values_list("partner_id", flat=True)))
    if not partner_ids:
        return None
    theirs = received.filter(partner_id=rng.choice(partner_ids)).select_related("partner").order_by("pk")
    return theirs[rng.randrange(theirs.count())]


@transaction.atomic
def _end(tenant: Tenant, session: Session, now: datetime) -> None:
    """COMPLETED with one charging period of the energy an 11 kW charger gave in the time it ran."""
    hours = round((now - session.start_date_time).total_seconds() / 3600, 3)
    kwh = round(hours * AC_POWER_KW, 3)
    sessions.patch_session(
        tenant=tenant,
        partner=None,
        country_code=session.country_code,
        party_id=session.party_id,
        session_id=session.session_id,
        fields={
            "status": SessionStatus.COMPLETED,
            "end_date_time": now,
            "kwh": kwh,
            "charging_periods": [
                {
                    "start_date_time": session.start_date_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": hours}],
                }
            ],
            "last_updated": now,
        },
        append_periods=True,
    )
    evse = (
        Evse.objects.for_tenant(tenant)
        .filter(location__partner__isnull=True, location__location_id=session.location_id, uid=session.evse_uid)
        .select_related("location", "tenant")
        .first()
    )
    if evse is not None:
        locations.set_evse_status(evse=evse, status=EvseStatus.AVAILABLE)


def simulate_demo_step() -> Step | None:
    """One step on the demo CPO tenant, if it was seeded."""
    tenant = Tenant.objects.filter(slug=CPO[0]).first()
    return simulate_step(tenant=tenant, rng=random.Random()) if tenant else None  # noqa: S311 - made-up traffic
