"""Small seeds for the interoperability proof, run inside a separately started instance through
`manage.py shell -c` (the instance's own environment and database), never imported by the test process.

The values deliberately use what only 2.2.1 can carry (owner-less 2.1.1 bodies, ALONG_MOTORWAY,
max_electric_power, several tariff ids, VAT, group ids, APP_USER ...) and what only 2.3.0 can (parking
places and EVSE parking, accepted service providers, help phone, connector capabilities, tax_included)
beside ordinary ones, so that the comparison proves both what must survive an older connection and that
only the listed losses happen.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from partners.models import Party, Tenant
from roaming.models import Evse, Token
from roaming.services.locations import patch, put_location, set_evse_status
from roaming.services.sessions import patch_session, put_session
from roaming.services.tokens import patch_token, put_token
from tariffs.models import Tariff
from tariffs.services import delete_tariff, put_tariff

#: Locations sent to partners; one more is unpublished, which a 2.1.1 partner never gets.
LOCATIONS = 5
CITIES = [("Utrecht", "3511 AA"), ("Amsterdam", "1012 AB"), ("Rotterdam", "3011 AC")]
PARKING = ["ON_STREET", "ALONG_MOTORWAY", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT"]


def _now() -> datetime:
    """Now with microseconds: 2.1.1 (and our wire format for both versions) carries whole seconds."""
    return datetime.now(UTC)


def _tariffs(tenant: Tenant, country_code: str, party_id: str, now: datetime) -> None:
    ac = {
        "currency": "EUR",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "0.30 EUR/kWh, parking after 2 hours"}],
        "tariff_alt_url": "https://example.com/tariffs/ac",
        "tax_included": "NO",
        "min_price": {"excl_vat": 0.5, "incl_vat": 0.61},
        "elements": [
            {"price_components": [{"type": "ENERGY", "price": 0.3, "vat": 21.0, "step_size": 1}]},
            {
                "price_components": [{"type": "PARKING_TIME", "price": 2.0, "vat": 21.0, "step_size": 60}],
                "restrictions": {"min_duration": 7200, "day_of_week": ["MONDAY", "TUESDAY"]},
            },
            {
                "price_components": [{"type": "TIME", "price": 1.0, "vat": 21.0, "step_size": 60}],
                "restrictions": {"min_current": 16},
            },
        ],
        "energy_mix": {
            "is_green_energy": True,
            "energy_sources": [{"source": "SOLAR", "percentage": 60}, {"source": "WIND", "percentage": 40}],
            "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 0}],
            "supplier_name": "Green Power",
        },
    }
    dc = {
        "currency": "EUR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": 1.0, "step_size": 1}]},
            {
                "price_components": [{"type": "ENERGY", "price": 0.55, "step_size": 1}],
                "restrictions": {"start_time": "07:00", "end_time": "23:00", "max_kwh": 50},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.45, "step_size": 1}]},
        ],
    }
    old = {"currency": "EUR", "elements": [{"price_components": [{"type": "FLAT", "price": 2.0, "step_size": 1}]}]}
    for tariff_id, data in (("AC-1", ac), ("DC-1", dc), ("OLD-1", old)):
        put_tariff(
            tenant=tenant,
            partner=None,
            country_code=country_code,
            party_id=party_id,
            tariff_id=tariff_id,
            data={**data, "tariff_id": tariff_id, "last_updated": now},
        )


def _connector(n: int, *, fast: bool, now: datetime) -> dict:
    return {
        "connector_id": str(n),
        "standard": "IEC_62196_T2_COMBO" if fast else "IEC_62196_T2",
        "format": "CABLE" if fast else "SOCKET",
        "power_type": "DC" if fast else "AC_3_PHASE",
        "max_voltage": 400 if fast else 230,
        "max_amperage": 125 if fast else 32,
        "max_electric_power": 50000 if fast else 22000,
        "tariff_ids": ["DC-1", "AC-1"] if fast else ["AC-1"],
        "terms_and_conditions": "https://example.com/terms",
        "capabilities": ["ISO_15118_2_PLUG_AND_CHARGE"] if fast else [],
        "last_updated": now,
    }


def _location(index: int, country_code: str, party_id: str, now: datetime) -> dict:
    city, postal_code = CITIES[index % len(CITIES)]
    fast = index % 2 == 1
    location_id = f"{party_id}-LOC{index}"
    evses = [
        {
            "uid": f"{location_id}-{n}",
            "evse_id": f"{country_code}*{party_id}*E{index}{n}",
            "status": "AVAILABLE" if n == 1 else "CHARGING",
            "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "CHIP_CARD_SUPPORT"],
            "floor_level": "-1",
            "latitude": "52.090700",
            "longitude": "5.121400",
            "physical_reference": f"P{n}",
            "directions": [{"language": "en", "text": "Behind the gate"}],
            "parking_restrictions": ["EV_ONLY"],
            "parking": [{"parking_id": f"PP{n}", "evse_position": "LEFT"}],
            "accepted_service_providers": ["Interop Mobility", "Drive Co"],
            "connectors": [_connector(c, fast=fast, now=now) for c in (1, 2)],
            "last_updated": now,
        }
        for n in (1, 2)
    ]
    hours = (
        {"twentyfourseven": True}
        if index % 2 == 0
        else {
            "twentyfourseven": False,
            "regular_hours": [{"weekday": d, "period_begin": "07:00", "period_end": "22:00"} for d in range(1, 6)],
            "exceptional_closings": [
                {"period_begin": "2026-12-25T00:00:00Z", "period_end": "2026-12-26T00:00:00Z"},
            ],
        }
    )
    return {
        "location_id": location_id,
        "publish": index < LOCATIONS,
        "name": f"Interop {city} {index}" if index else "Café Zoë – Utrecht",
        "address": f"Stationsplein {index + 1}",
        "city": city,
        "postal_code": postal_code,
        "state": "Utrecht" if index == 0 else "",
        "country": "NLD",
        "latitude": f"52.{index:02d}0700",
        "longitude": f"5.{index:02d}1400",
        "related_locations": [
            {"latitude": "52.000001", "longitude": "5.000001", "name": {"language": "en", "text": "Entrance"}}
        ],
        "parking_type": PARKING[index % len(PARKING)],
        "directions": [{"language": "nl", "text": "Volg de borden"}],
        "operator": {"name": "Interop Charging", "website": "https://example.com"},
        "owner": {"name": "City of Utrecht"},
        "facilities": ["CAFE", "WIFI", "BIKE_SHARING"],
        "parking_places": [
            {
                "id": f"PP{n}",
                "physical_reference": f"B{n}",
                "vehicle_types": ["PERSONAL_VEHICLE", "VAN"],
                "max_vehicle_height": 230,
                "restricted_to_type": False,
                "reservation_required": False,
            }
            for n in (1, 2)
        ],
        "help_phone": "+31301234567",
        "time_zone": "Europe/Amsterdam",
        "opening_times": hours,
        "charging_when_closed": index % 2 == 1,
        "images": [{"url": "https://example.com/a.jpg", "category": "LOCATION", "type": "jpeg", "width": 640}],
        "evses": evses,
        "last_updated": now,
    }


def seed_cpo(slug: str, emsp_country_code: str, emsp_party_id: str, uids: list[str]) -> None:
    """Tariffs, locations and two sessions (one charging, one ended and so billed as a CDR) of the tenant's
    first CPO party, charged on the eMSP's tokens `uids`."""
    tenant = Tenant.objects.get(slug=slug)
    party = Party.objects.for_tenant(tenant).get(role="CPO")
    cc, pid = party.country_code, party.party_id
    now = _now()
    _tariffs(tenant, cc, pid, now)
    for index in range(LOCATIONS + 1):
        data = _location(index, cc, pid, now)
        put_location(
            tenant=tenant, partner=None, country_code=cc, party_id=pid, location_id=data["location_id"], data=data
        )
    for n, uid in enumerate(uids[:2]):
        location_id = f"{pid}-LOC{n}"
        start = now - timedelta(hours=2)
        ended = n == 1
        put_session(
            tenant=tenant,
            partner=None,
            country_code=cc,
            party_id=pid,
            session_id=f"{pid}-S{n}",
            data={
                "start_date_time": start,
                "end_date_time": start + timedelta(hours=1, minutes=30) if ended else None,
                "kwh": 12.5 + n,
                "cdr_token": {
                    "country_code": emsp_country_code,
                    "party_id": emsp_party_id,
                    "uid": uid,
                    "type": "RFID",
                    "contract_id": f"{emsp_country_code}-{emsp_party_id}-C{uid}",
                },
                "auth_method": "WHITELIST",
                "authorization_reference": f"AUTH-{n}",
                "location_id": location_id,
                "evse_uid": f"{location_id}-1",
                "connector_id": "1",
                "meter_id": f"METER-{n}",
                "currency": "EUR",
                "charging_periods": [
                    {
                        "start_date_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "dimensions": [
                            {"type": "ENERGY", "volume": 12.5 + n},
                            {"type": "TIME", "volume": 1.5},
                            {"type": "STATE_OF_CHARGE", "volume": 80},
                        ],
                        "tariff_id": "AC-1",
                    }
                ],
                "total_cost": {"excl_vat": 3.75, "incl_vat": 4.54},
                "status": "COMPLETED" if ended else "ACTIVE",
                "last_updated": now,
            },
        )


def seed_emsp(slug: str) -> None:
    """Three tokens of the tenant's first eMSP party: two RFID cards and an app user."""
    tenant = Tenant.objects.get(slug=slug)
    party = Party.objects.for_tenant(tenant).get(role="EMSP")
    cc, pid = party.country_code, party.party_id
    now = _now()
    for n, (token_type, valid) in enumerate((("RFID", True), ("RFID", True), ("APP_USER", True))):
        uid = f"{pid}{n:06d}"
        put_token(
            tenant=tenant,
            partner=None,
            country_code=cc,
            party_id=pid,
            uid=uid,
            token_type=token_type,
            data={
                "uid": uid,
                "type": token_type,
                "contract_id": f"{cc}-{pid}-C{uid}",
                "visual_number": f"{pid}-{n:04d}",
                "issuer": "Interop Mobility",
                "group_id": f"{pid}-GROUP",
                "valid": valid,
                "whitelist": "NEVER" if token_type == "APP_USER" else "ALLOWED",
                "language": "nl",
                "default_profile_type": "GREEN" if n == 0 else "",
                "last_updated": now,
            },
        )


def update_cpo(slug: str) -> None:
    """Changes the CPO makes afterwards: PATCHes of an EVSE's status, a location's name, a connector's
    amperage and a charging session's progress; a tariff replaced, another deleted."""
    tenant = Tenant.objects.get(slug=slug)
    party = Party.objects.for_tenant(tenant).get(role="CPO")
    cc, pid = party.country_code, party.party_id
    evse = Evse.objects.for_tenant(tenant).get(uid=f"{pid}-LOC0-1")
    set_evse_status(evse=evse, status="BLOCKED")
    patch(
        tenant=tenant,
        partner=None,
        country_code=cc,
        party_id=pid,
        location_id=f"{pid}-LOC1",
        fields={"name": "Renamed"},
    )
    patch(
        tenant=tenant,
        partner=None,
        country_code=cc,
        party_id=pid,
        location_id=f"{pid}-LOC3",
        evse_uid=f"{pid}-LOC3-2",
        connector_id="2",
        fields={"max_amperage": 100},
    )
    later = _now()
    patch_session(
        tenant=tenant,
        partner=None,
        country_code=cc,
        party_id=pid,
        session_id=f"{pid}-S0",
        fields={
            "kwh": 20,
            "charging_periods": [
                {
                    "start_date_time": later.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "dimensions": [{"type": "ENERGY", "volume": 7}],
                }
            ],
            "total_cost": {"excl_vat": 6.0, "incl_vat": 7.26},
            "last_updated": later,
        },
        append_periods=True,
    )
    delete_tariff(tenant=tenant, partner=None, country_code=cc, party_id=pid, tariff_id="OLD-1")
    tariff = Tariff.objects.for_tenant(tenant).get(partner__isnull=True, tariff_id="DC-1")
    elements = [*tariff.elements[:2], {"price_components": [{"type": "ENERGY", "price": 0.49, "step_size": 1}]}]
    put_tariff(
        tenant=tenant,
        partner=None,
        country_code=cc,
        party_id=pid,
        tariff_id="DC-1",
        data={"tariff_id": "DC-1", "currency": "EUR", "elements": elements, "last_updated": _now()},
    )


def update_emsp(slug: str) -> None:
    """The eMSP gives a card a new contract and blocks an app user afterwards (PATCHes)."""
    tenant = Tenant.objects.get(slug=slug)
    party = Party.objects.for_tenant(tenant).get(role="EMSP")
    card, app_user = Token.objects.for_tenant(tenant).filter(partner__isnull=True).order_by("uid")[1:]
    changes = {card: {"contract_id": f"{card.contract_id}-2"}, app_user: {"valid": False}}
    for token, fields in changes.items():
        patch_token(
            tenant=tenant,
            partner=None,
            country_code=party.country_code,
            party_id=party.party_id,
            uid=token.uid,
            token_type=token.type,
            fields={**fields, "last_updated": _now()},
        )
