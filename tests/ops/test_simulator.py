"""The demo's charge points: one step changes EVSE statuses, starts and ends sessions, and owes partners pushes."""

import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ops.demo import seed_demo
from ops.simulator import simulate_step
from partners.models import PartnerEndpoint
from roaming.models import Cdr, Delivery, Evse, Session
from tests.factories import make_partner

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_cpo(db):
    cpo = seed_demo()[0].tenant
    # The demo eMSP seen from the CPO, on either version: it receives locations, sessions and CDRs.
    for version, party in (("2.1.1", "DE:DMS:EMSP"), ("2.2.1", "DE:DMS:EMSP")):
        partner, _ = make_partner(cpo, party, name=f"emsp-{version}", version=version, token_to_them="t")
        for module in ("locations", "sessions", "cdrs"):
            PartnerEndpoint.objects.create(
                tenant=cpo, partner=partner, identifier=module, role="RECEIVER", url=f"http://x/{module}"
            )
    Delivery.objects.all().delete()
    return cpo


def evse_status(tenant, path: str) -> str:
    country_code, party_id, location_id, uid = path.split("/")
    return Evse.objects.for_tenant(tenant).get(location__location_id=location_id, uid=uid).status


def test_one_step_changes_statuses_starts_and_ends_sessions(demo_cpo):
    running = {s.session_id: s.evse_uid for s in Session.objects.for_tenant(demo_cpo).filter(status="ACTIVE")}
    now = timezone.now() + timedelta(minutes=30)

    step = simulate_step(tenant=demo_cpo, rng=random.Random(1), now=now, changes=3, starts=1, ends=1)

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
    first = simulate_step(tenant=demo_cpo, rng=random.Random(3), now=now, changes=0, starts=2, ends=0)
    Session.objects.filter(session_id__in=first.started).delete()
    Evse.objects.for_tenant(demo_cpo).filter(status="CHARGING", location__partner__isnull=True).update(
        status="AVAILABLE"
    )
    assert simulate_step(tenant=demo_cpo, rng=random.Random(3), now=now, changes=0, starts=2, ends=0) == first


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
