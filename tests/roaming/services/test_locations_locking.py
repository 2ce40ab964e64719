"""Writes to one location take its locks in one order (location, then EVSE, then connector), so a status
PATCH arriving while a PUT of the same location holds the location never deadlocks with it."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from roaming.models import Evse, Location
from roaming.ocpi.dialects import get_dialect
from roaming.services import locations as service
from tests.factories import make_partner, make_tenant
from tests.spec_examples import example_221
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views are read once; each look must see the sessions of now.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def in_thread(target, outcome: dict, name: str) -> threading.Thread:
    def run():
        try:
            outcome[name] = target()
        except Exception as exc:  # noqa: BLE001 - the test reports whatever the write raised
            outcome[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.parametrize("level", ["evse", "connector"])
def test_a_patch_waits_for_a_put_holding_its_location_instead_of_deadlocking(level):
    tenant = make_tenant("emsp", "DE:EMS:EMSP")
    partner, _ = make_partner(tenant, "NL:CPO:CPO", name="cpo")
    data = {**example_221("location_example.json"), "country_code": "NL", "party_id": "CPO"}
    internal = get_dialect("2.2.1").module("locations").from_wire(data)
    owner = {"tenant": tenant, "partner": partner, "country_code": "NL", "party_id": "CPO", "location_id": "LOC1"}
    service.put_location(**owner, data=internal)
    outcome: dict = {}
    location_held = threading.Event()

    def put_holding_the_location():
        # What a PUT of the location does: lock it, then rewrite its EVSEs (here: one EVSE row).
        with transaction.atomic():
            Location.objects.select_for_update().get(location_id="LOC1")
            location_held.set()
            wait_for(waiting_for_a_lock, timeout=5, interval=0.02)  # the PATCH waits for the location
            return Evse.objects.filter(uid="3256").update(status="BLOCKED")

    def patch():
        location_held.wait(5)
        target = {"evse_uid": "3256"} if level == "evse" else {"evse_uid": "3256", "connector_id": "1"}
        stamp = datetime(2030, 1, 1, tzinfo=UTC)
        fields = {"status": "CHARGING"} if level == "evse" else {"max_amperage": 10}
        return service.patch(**owner, **target, fields={**fields, "last_updated": stamp})

    threads = [in_thread(put_holding_the_location, outcome, "put"), in_thread(patch, outcome, "patch")]
    for thread in threads:
        thread.join(20)
    assert outcome["put"] == 1, outcome
    assert isinstance(outcome["patch"], service.Change), outcome
    evse = Evse.objects.get(uid="3256")
    assert evse.location.last_updated.year == 2030
    if level == "evse":
        assert evse.status == "CHARGING"  # the PATCH waited for the PUT and came after it
    else:
        assert evse.status == "BLOCKED" and evse.connectors.get(connector_id="1").max_amperage == 10
