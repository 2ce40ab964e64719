"""The demo that `make run` seeds: the one place that knows what the demo contains.

Two tenants on one deployment, a CPO with a realistic network and tariffs and an eMSP, each
with an operator account; once the platform is up, the eMSP registers with the CPO through the
real credentials handshake (a Celery task), after which pushes and pulls flow between them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from partners.models import Operator, Partner, PartnerStatus, Tenant
from partners.services import PartySpec, issue_registration_token, provision_tenant
from roaming.models import Location, Session, Token
from roaming.services import jobs
from roaming.services.locations import put_location
from roaming.services.sessions import put_session
from roaming.services.tokens import put_token
from tariffs.models import Tariff
from tariffs.services import put_tariff

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"  # noqa: S105 - the local demo's published login

CPO = ("demo-cpo", "Demo Charging (CPO)", [PartySpec("NL", "DCP", "CPO", "Demo Charging")], "cpo-operator")
EMSP = ("demo-emsp", "Demo Mobility (eMSP)", [PartySpec("DE", "DMS", "EMSP", "Demo Mobility")], "emsp-operator")
CITIES = [
    ("Utrecht", "3511", 52.0907, 5.1214),
    ("Amsterdam", "1012", 52.3676, 4.9041),
    ("Rotterdam", "3011", 51.9244, 4.4777),
    ("Eindhoven", "5611", 51.4416, 5.4697),
    ("Groningen", "9711", 53.2194, 6.5665),
    ("Den Haag", "2511", 52.0705, 4.3007),
]
NETWORK_SIZE = 300


@dataclass
class SeededTenant:
    tenant: Tenant
    operator_username: str
    curl_token: str


def _tariffs(tenant: Tenant, now: datetime) -> None:
    ac = {
        "tariff_id": "AC-STANDARD",
        "currency": "EUR",
        "type": "REGULAR",
        "tariff_alt_text": [{"language": "en", "text": "0.35 EUR/kWh, 0.50 EUR/h parking after 4 hours"}],
        "elements": [
            {"price_components": [{"type": "ENERGY", "price": 0.35, "vat": 21.0, "step_size": 1}]},
            {
                "price_components": [{"type": "PARKING_TIME", "price": 0.5, "vat": 21.0, "step_size": 60}],
                "restrictions": {"min_duration": 14400},
            },
        ],
        "min_price": {"excl_vat": 0.5, "incl_vat": 0.61},
        "last_updated": now,
    }
    dc = {
        "tariff_id": "DC-FAST",
        "currency": "EUR",
        "type": "REGULAR",
        "elements": [
            {"price_components": [{"type": "FLAT", "price": 1.0, "vat": 21.0, "step_size": 1}]},
            {
                "price_components": [{"type": "ENERGY", "price": 0.59, "vat": 21.0, "step_size": 1}],
                "restrictions": {"start_time": "07:00", "end_time": "23:00"},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.45, "vat": 21.0, "step_size": 1}]},
        ],
        "last_updated": now,
    }
    for data in (ac, dc):
        put_tariff(
            tenant=tenant, partner=None, country_code="NL", party_id="DCP", tariff_id=data["tariff_id"], data=data
        )


def _tokens(tenant: Tenant, now: datetime) -> None:
    """A few driver tokens of the eMSP: whitelisted RFID cards, one blocked, and app users authorized in real time."""
    for n in range(1, 21):
        uid = f"DMS{n:06d}"
        put_token(
            tenant=tenant,
            partner=None,
            country_code="DE",
            party_id="DMS",
            uid=uid,
            token_type="APP_USER" if n > 15 else "RFID",
            data={
                "contract_id": f"DE-DMS-C{n:08d}",
                "visual_number": f"DMS-{n:04d}",
                "issuer": "Demo Mobility",
                "valid": n != 7,
                "whitelist": "NEVER" if n > 15 else "ALLOWED",
                "language": "de",
                "last_updated": now,
            },
        )


def _sessions_and_cdrs(tenant: Tenant, now: datetime) -> None:
    """Sessions of the eMSP's drivers at the CPO's locations: some charging now, some finished (the pricing
    engine turns each finished one into its CDR)."""
    rng = random.Random(7)  # noqa: S311 - the same made-up traffic at every start
    for n in range(1, 13):
        location_id = f"DCP{rng.randrange(NETWORK_SIZE):04d}"
        start = now - timedelta(hours=n * 3)
        token = {
            "country_code": "DE",
            "party_id": "DMS",
            "uid": f"DMS{n:06d}",
            "type": "RFID",
            "contract_id": f"DE-DMS-C{n:08d}",
        }
        kwh = round(rng.uniform(5, 40), 3)
        hours = round(kwh / 11, 3)
        finished = n > 3
        period = {
            "start_date_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "dimensions": [{"type": "ENERGY", "volume": kwh}, {"type": "TIME", "volume": hours}],
            "tariff_id": "AC-STANDARD",
        }
        cost = {"excl_vat": round(kwh * 0.35, 2), "incl_vat": round(kwh * 0.35 * 1.21, 2)}
        put_session(
            tenant=tenant,
            partner=None,
            country_code="NL",
            party_id="DCP",
            session_id=f"DEMO-S{n:03d}",
            data={
                "start_date_time": start,
                "end_date_time": start + timedelta(hours=hours) if finished else None,
                "kwh": kwh,
                "cdr_token": token,
                "auth_method": "WHITELIST",
                "location_id": location_id,
                "evse_uid": f"{location_id}-1",
                "connector_id": "1",
                "currency": "EUR",
                "charging_periods": [period],
                "total_cost": cost,
                "status": "COMPLETED" if finished else "ACTIVE",
                "last_updated": now,
            },
        )


def _network(tenant: Tenant, now: datetime) -> None:
    """A few hundred charging locations, each with 4 EVSEs of 2 connectors."""
    rng = random.Random(42)  # noqa: S311 - the same made-up network at every start
    for index in range(NETWORK_SIZE):
        city, postal, lat, lon = CITIES[index % len(CITIES)]
        fast = index % 5 == 0
        location_id = f"DCP{index:04d}"
        evses = []
        for n in range(1, 5):
            connectors = [
                {
                    "connector_id": str(c),
                    "standard": "IEC_62196_T2_COMBO" if fast else "IEC_62196_T2",
                    "format": "CABLE" if fast else "SOCKET",
                    "power_type": "DC" if fast else "AC_3_PHASE",
                    "max_voltage": 400 if fast else 230,
                    "max_amperage": 125 if fast else 32,
                    "max_electric_power": 50000 if fast else 22000,
                    "tariff_ids": ["DC-FAST" if fast else "AC-STANDARD"],
                    "last_updated": now,
                }
                for c in (1, 2)
            ]
            evses.append(
                {
                    "uid": f"{location_id}-{n}",
                    "evse_id": f"NL*DCP*E{index:04d}{n}",
                    "status": rng.choice(["AVAILABLE", "AVAILABLE", "AVAILABLE", "CHARGING", "OUTOFORDER"]),
                    "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE"],
                    "connectors": connectors,
                    "last_updated": now,
                }
            )
        put_location(
            tenant=tenant,
            partner=None,
            country_code="NL",
            party_id="DCP",
            location_id=location_id,
            data={
                "publish": True,
                "name": f"Demo {city} {index}",
                "address": f"Laan {index + 1}",
                "city": city,
                "postal_code": postal,
                "country": "NLD",
                "time_zone": "Europe/Amsterdam",
                "latitude": f"{lat + rng.uniform(-0.05, 0.05):.6f}",
                "longitude": f"{lon + rng.uniform(-0.05, 0.05):.6f}",
                "parking_type": rng.choice(["ON_STREET", "PARKING_LOT", "PARKING_GARAGE"]),
                "facilities": rng.sample(["CAFE", "SUPERMARKET", "WIFI", "TRAIN_STATION"], 2),
                "opening_times": {"twentyfourseven": True},
                "operator": {"name": "Demo Charging"},
                "evses": evses,
                "last_updated": now,
            },
        )


@transaction.atomic
def seed_demo() -> list[SeededTenant]:
    """Create the demo tenants, an admin, one operator per tenant, the CPO's network and a token to try each with."""
    users = get_user_model()
    if not users.objects.filter(username=ADMIN_USERNAME).exists():
        users.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
    seeded = []
    for slug, name, parties, operator_name in (CPO, EMSP):
        tenant = provision_tenant(slug=slug, name=name, parties=parties)
        operator_user = users.objects.filter(username=operator_name).first()
        if operator_user is None:
            operator_user = users.objects.create_user(operator_name, password=ADMIN_PASSWORD, is_staff=True)
        Operator.objects.update_or_create(user=operator_user, defaults={"tenant": tenant})
        _, token = issue_registration_token(tenant=tenant, partner_name="curl-demo")
        seeded.append(SeededTenant(tenant=tenant, operator_username=operator_name, curl_token=token))
    cpo = seeded[0].tenant
    now = datetime.now(UTC)
    if not Tariff.objects.for_tenant(cpo).exists():
        _tariffs(cpo, now)
    if not Location.objects.for_tenant(cpo).exists():
        _network(cpo, now)
    emsp = seeded[1].tenant
    if not Token.objects.for_tenant(emsp).exists():
        _tokens(emsp, now)
    if not Session.objects.for_tenant(cpo).exists():
        _sessions_and_cdrs(cpo, now)
    return seeded


def connect_demo_tenants() -> Partner | None:
    """Have the demo eMSP register with the demo CPO (the handshake itself runs on a worker once the
    web process answers); returns the eMSP's partner record, or None when already connected."""
    cpo, emsp = Tenant.objects.get(slug=CPO[0]), Tenant.objects.get(slug=EMSP[0])
    if Partner.objects.for_tenant(emsp).filter(name="Demo Charging", status=PartnerStatus.REGISTERED).exists():
        return None
    _, token_a = issue_registration_token(tenant=cpo, partner_name="Demo Mobility")
    partner, _ = Partner.objects.for_tenant(emsp).update_or_create(
        name="Demo Charging",
        defaults={"tenant": emsp, "versions_url": cpo.versions_url, "token_to_them": token_a},
    )
    transaction.on_commit(lambda: jobs.enqueue(jobs.REGISTER, partner.pk, countdown=4))
    return partner
