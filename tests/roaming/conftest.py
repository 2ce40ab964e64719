"""Fixtures of the roaming tests: a priced charging scene of the CPO tenant's own."""

from datetime import timedelta

import pytest

from roaming.models import Connector, Evse, Location
from tests.factories import CHARGING_START, make_tariff


@pytest.fixture
def connector(cpo_tenant):
    """Connector 1 of EVSE E1 at location LOC1 in Berlin, under tariffs T-OLD and T14 in that order."""
    location = Location.objects.create(
        tenant=cpo_tenant,
        country_code="NL",
        party_id="CPO",
        location_id="LOC1",
        name="Station",
        address="Street 1",
        city="City",
        postal_code="1234AB",
        country="NLD",
        latitude="52.000000",
        longitude="5.000000",
        time_zone="Europe/Berlin",
        last_updated=CHARGING_START,
    )
    evse = Evse.objects.create(
        tenant=cpo_tenant,
        location=location,
        uid="E1",
        evse_id="NL*CPO*E1",
        status="CHARGING",
        last_updated=CHARGING_START,
    )
    return Connector.objects.create(
        tenant=cpo_tenant,
        evse=evse,
        connector_id="1",
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_3_PHASE",
        max_voltage=400,
        max_amperage=32,
        tariff_ids=["T-OLD", "T14"],
        last_updated=CHARGING_START,
    )


@pytest.fixture
def tariffs(cpo_tenant):
    """The complex tariff of the spec, and an older one that ended before the session."""
    make_tariff(cpo_tenant, "T-OLD", "tariff_8_simple_025kwh.json", end_date_time=CHARGING_START - timedelta(days=1))
    return make_tariff(cpo_tenant, "T14", "tariff_4_complex.json", type="REGULAR")
