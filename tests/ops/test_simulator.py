"""The demo's charge points: one step changes EVSE statuses, has drivers of eMSP partners start sessions, ends
sessions, and owes partners pushes."""

import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ops.demo import EMSP, seed_demo
from ops.simulator import MIN_SESSION, simulate_step
from partners.models import Partner, PartnerEndpoint, PartnerStatus, Tenant
from roaming.models import Cdr, Delivery, Evse, Session, Token
from roaming.services.tokens import put_token
from tests.factories import make_partner

ROOT = Path(__file__).resolve().parents[2]


def emsp_partner(cpo, party: str, *, name: str, version: str = "2.2.1", status: str = PartnerStatus.REGISTERED):
    """An eMSP partner of the CPO that receives locations, sessions and CDRs."""
    partner, _ = make_partner(cpo, party, name=name, version=version, status=status, token_to_them="t")
    for module in ("locations", "sessions", "cdrs"):
        PartnerEndpoint.objects.create(
            tenant=cpo, partner=partner, identifier=module, role="RECEIVER", url=f"http://x/{name}/{module}"
        )
    return partner


def received_token(
    cpo, partner, uid: str, *, token_type: str = "RFID", whitelist: str = "ALWAYS", valid: bool = True
) -> Token:
    """A driver's token the CPO holds from `partner` (as a pull or the eMSP's push stores it)."""
    party = partner.parties.get()
    put_token(
        tenant=cpo,
        partner=partner,
        country_code=party.country_code,
        party_id=party.party_id,
        uid=uid,
        token_type=token_type,
        data={
            "contract_id": f"{party.country_code}-{party.party_id}-C{uid}",
            "issuer": partner.name,
            "valid": valid,
            "whitelist": whitelist,
            "last_updated": timezone.now(),
        },
    )
    return Token.objects.for_tenant(cpo).get(partner=partner, uid=uid)


@pytest.fixture
def demo_cpo(db):
    cpo = seed_demo()[0].tenant
    # The demo eMSP seen from the CPO, on either version: it receives locations, sessions and CDRs.
    for version in ("2.1.1", "2.2.1"):
        emsp_partner(cpo, "DE:DMS:EMSP", name=f"emsp-{version}", version=version)
    # The CPO has pulled the demo eMSP's tokens (over the 2.2.1 connection).
    puller = Partner.objects.for_tenant(cpo).get(name="emsp-2.2.1")
    for token in Token.objects.for_tenant(Tenant.objects.get(slug=EMSP[0])):
        received_token(cpo, puller, token.uid, token_type=token.type, whitelist=token.whitelist, valid=token.valid)
    Delivery.objects.all().delete()
    return cpo


def evse_status(tenant, path: str) -> str:
    country_code, party_id, location_id, uid = path.split("/")
    return Evse.objects.for_tenant(tenant).get(location__location_id=location_id, uid=uid).status


def test_one_step_changes_statuses_starts_and_ends_sessions(demo_cpo):
    running = {s.session_id: s.evse_uid for s in Session.objects.for_tenant(demo_cpo).filter(status="ACTIVE")}
    now = timezone.now() + timedelta(minutes=30)

    step = simulate_step(tenant=demo_cpo, rng=random.Random(5), now=now, changes=3, starts=1, ends=1)

    assert len(step.statuses) == 3 and len(step.started) == 1 and len(step.ended) == 1
    started = Session.objects.for_tenant(demo_cpo).get(session_id=step.started[0])
    assert (started.status, started.cdr_token["party_id"], started.end_date_time) == ("ACTIVE", "DMS", None)
    assert evse_status(demo_cpo, f"NL/DCP/{started.location_id}/{started.evse_uid}") == "CHARGING"
    [ended_id] = step.ended
    assert ended_id in running
    ended = Session.objects.for_tenant(demo_cpo).get(session_id=ended_id)
    assert ended.status == "COMPLETED" and ended.end_date_time == now and ended.kwh > 0
    assert [d["type"] for d in ended.charging_periods[-1]["dimensions"]] == ["ENERGY", "TIME"]
    assert evse_status(demo_cpo, f"NL/DCP/{ended.location_id}/{ended.evse_uid}") == "AVAILABLE"
    # Ending an own session bills it: its CDR is built in the same transaction.
    assert Cdr.objects.for_tenant(demo_cpo).filter(cdr_id=ended_id).exists()
    for path in step.statuses:
        assert evse_status(demo_cpo, path) in ("AVAILABLE", "BLOCKED", "OUTOFORDER", "INOPERATIVE", "CHARGING")


def test_a_step_owes_every_partner_the_changes_whatever_its_version(demo_cpo):
    step = simulate_step(tenant=demo_cpo, rng=random.Random(2), changes=2, starts=1, ends=1)

    for version in ("2.1.1", "2.2.1"):
        owed = set(
            Delivery.objects.filter(partner__name=f"emsp-{version}").values_list("module", "object_path", "method")
        )
        for path in step.statuses:
            assert ("locations", path, "PATCH") in owed
        assert ("sessions", f"NL/DCP/{step.started[0]}", "PUT") in owed
        assert ("sessions", f"NL/DCP/{step.ended[0]}", "PATCH") in owed
        assert ("cdrs", f"NL/DCP/{step.ended[0]}", "POST") in owed


def test_a_session_that_just_started_is_not_ended_yet(demo_cpo):
    seeded_running = set(
        Session.objects.for_tenant(demo_cpo).filter(status="ACTIVE").values_list("session_id", flat=True)
    )
    step = simulate_step(tenant=demo_cpo, rng=random.Random(4), changes=0, starts=1, ends=10)
    assert set(step.ended) == seeded_running
    assert Session.objects.for_tenant(demo_cpo).get(session_id=step.started[0]).status == "ACTIVE"


def test_the_same_seed_makes_the_same_step(demo_cpo):
    now = timezone.now()

    def step_and_undo():
        step = simulate_step(tenant=demo_cpo, rng=random.Random(5), now=now, changes=0, starts=2, ends=0)
        started = Session.objects.for_tenant(demo_cpo).filter(session_id__in=step.started)
        made = sorted((s.location_id, s.evse_uid, s.cdr_token["uid"]) for s in started)
        started.delete()
        for location_id, evse_uid, _ in made:
            Evse.objects.for_tenant(demo_cpo).filter(location__location_id=location_id, uid=evse_uid).update(
                status="AVAILABLE"
            )
        return made

    first = step_and_undo()
    assert len(first) == 2
    assert step_and_undo() == first


def test_a_newly_connected_emsp_gets_sessions_and_priced_cdrs_of_its_own_drivers(demo_cpo):
    newcomer = emsp_partner(demo_cpo, "FR:NEW:EMSP", name="newcomer")
    for uid in ("NEW001", "NEW002"):
        received_token(demo_cpo, newcomer, uid)
    start = timezone.now()
    rng = random.Random(5)
    started = []
    for _ in range(6):
        started += simulate_step(tenant=demo_cpo, rng=rng, now=start, changes=0, starts=1, ends=0).started
    theirs = Session.objects.for_tenant(demo_cpo).filter(session_id__in=started, cdr_token__party_id="NEW")
    # The partner is drawn before its driver: two tokens against the demo eMSP's twenty still get turns.
    assert 1 <= theirs.count() < len(started)
    simulate_step(
        tenant=demo_cpo, rng=rng, now=start + MIN_SESSION + timedelta(seconds=5), changes=0, starts=0, ends=50
    )

    for session in theirs:
        path = session.object_path
        assert session.status == "COMPLETED" and session.kwh > 0
        assert session.cdr_token["uid"] in ("NEW001", "NEW002")
        cdr = Cdr.objects.for_tenant(demo_cpo).get(cdr_id=session.session_id)
        assert cdr.cdr_token["party_id"] == "NEW" and cdr.total_cost["excl_vat"] > 0
        owed = {
            (d.partner.name, d.module, d.method)
            for d in Delivery.objects.filter(object_path=path).select_related("partner")
        }
        # Only to the newcomer; the end folded into the session's PUT, still pending (nothing is sent here).
        assert owed == {("newcomer", "sessions", "PUT"), ("newcomer", "cdrs", "POST")}
    for session in (
        Session.objects.for_tenant(demo_cpo).filter(session_id__in=started).exclude(cdr_token__party_id="NEW")
    ):
        assert not Delivery.objects.filter(partner=newcomer, object_path=session.object_path).exists()


def test_drivers_are_only_those_of_registered_partners(demo_cpo):
    Token.objects.for_tenant(demo_cpo).delete()
    gone = emsp_partner(demo_cpo, "BE:OLD:EMSP", name="gone", status=PartnerStatus.SUSPENDED)
    received_token(demo_cpo, gone, "OLD001")

    step = simulate_step(tenant=demo_cpo, rng=random.Random(6), changes=1, starts=3, ends=0)

    assert (step.started, step.refused, len(step.statuses)) == ([], [], 1)


def test_a_token_its_whitelist_refuses_starts_no_session(demo_cpo):
    Token.objects.for_tenant(demo_cpo).delete()
    emsp = Partner.objects.for_tenant(demo_cpo).get(name="emsp-2.2.1")
    blocked = received_token(demo_cpo, emsp, "DMS999999", valid=False)
    charging = Evse.objects.for_tenant(demo_cpo).filter(status="CHARGING").count()

    step = simulate_step(tenant=demo_cpo, rng=random.Random(7), changes=0, starts=1, ends=0)

    assert (step.started, step.refused) == ([], [f"{blocked.uid}: whitelist"])
    assert Evse.objects.for_tenant(demo_cpo).filter(status="CHARGING").count() == charging


@pytest.mark.parametrize(("value", "scheduled"), [("true", True), ("false", False)])
def test_beat_runs_the_simulator_only_when_enabled(value, scheduled):
    probe = "from django.conf import settings; print('simulate-charge-points' in settings.CELERY_BEAT_SCHEDULE)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "CHARGE_POINT_SIMULATOR_ENABLED": value, "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(scheduled)


def test_the_simulator_is_on_by_default_only_in_the_embedded_demo():
    probe = "from django.conf import settings; print(settings.CHARGE_POINT_SIMULATOR_ENABLED)"
    results = []
    for extra in ({}, {"DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}):
        results.append(
            subprocess.run(
                [sys.executable, "-c", f"import django; django.setup(); {probe}"],
                cwd=ROOT,
                env={"DJANGO_SETTINGS_MODULE": "config.settings", **extra},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    assert results == ["True", "False"]
