"""Factories for tests: tenants with parties, partners holding a live token, and the objects of every module
(locations, tariffs, tokens, sessions, CDRs), either stored through the services as the tenant's own or created
directly with the values a test needs."""

from __future__ import annotations

import base64
import copy
import itertools
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model

from partners import handshake
from partners.models import AccessToken, Operator, Partner, PartnerEndpoint, PartnerParty, PartnerStatus, TokenKind
from partners.services import PartySpec, issue_registration_token, provision_tenant
from roaming.models import Connector, Evse, Location, Session, Token
from roaming.ocpi.dialects import get_dialect
from roaming.services import cdrs, locations, sessions, sync, tokens
from tariffs.models import Tariff
from tests.bodies import CDR, LOCATION, SESSION, TOKEN
from tests.spec_examples import example_221

_seq = itertools.count(1)


def make_tenant(slug: str | None = None, *parties: str, name: str | None = None):
    """A tenant with parties given as 'CC:PID:ROLE' (default: one CPO party)."""
    slug = slug or f"tenant-{next(_seq)}"
    specs = [PartySpec.parse(p) for p in (parties or ("NL:CPO:CPO",))]
    return provision_tenant(slug=slug, name=name or slug.title(), parties=specs)


def make_partner(
    tenant,
    *parties: str,
    name: str | None = None,
    version: str = "2.2.1",
    status: str = PartnerStatus.REGISTERED,
    token_kind: str = TokenKind.ACCESS,
    **fields,
) -> tuple[Partner, str]:
    """A partner of `tenant` with parties 'CC:PID:ROLE' (default one eMSP) and a raw token to call us with."""
    partner = Partner.objects.create(
        tenant=tenant, name=name or f"partner-{next(_seq)}", version=version, status=status, **fields
    )
    for text in parties or ("DE:EMS:EMSP",):
        spec = PartySpec.parse(text)
        PartnerParty.objects.create(
            tenant=tenant,
            partner=partner,
            country_code=spec.country_code,
            party_id=spec.party_id,
            role=spec.role,
            name=spec.name or partner.name,
        )
    _, raw = AccessToken.issue(partner=partner, kind=token_kind)
    return partner, raw


def make_operator(tenant, username: str = "op", password: str = "pw"):
    """A staff user who operates `tenant` in the admin."""
    user = get_user_model().objects.create_user(username, password=password, is_staff=True)
    Operator.objects.create(user=user, tenant=tenant)
    return user


def log_in_operator(client, tenant, username: str = "op"):
    """`client` logged in as a new operator of `tenant`; returns the user."""
    user = make_operator(tenant, username)
    client.force_login(user)
    return user


def auth(token: str, *, base64_form: bool = False) -> dict:
    """Request headers carrying `token` in the raw or the Base64 form."""
    value = base64.b64encode(token.encode()).decode() if base64_form else token
    return {"HTTP_AUTHORIZATION": f"Token {value}"}


#: EVSE capabilities that let an EVSE take every command (the spec's example EVSEs are only RESERVABLE).
COMMANDABLE = ["REMOTE_START_STOP_CAPABLE", "RESERVABLE", "UNLOCK_CAPABLE", "CHARGING_PROFILE_CAPABLE"]


def make_commandable(location):
    """Give every EVSE of `location` the capabilities commands and charging profiles need; returns it."""
    location.evses.update(capabilities=COMMANDABLE)
    return location


def make_endpoint(partner: Partner, module: str, role: str, url: str) -> PartnerEndpoint:
    """The partner's `module` endpoint in `role` (SENDER or RECEIVER) at `url`."""
    return PartnerEndpoint.objects.create(tenant=partner.tenant, partner=partner, identifier=module, role=role, url=url)


def connect(
    tenant, peer, *, receivers=("locations", "tariffs"), senders=(), name="emsp", parties=("DE:EMS:EMSP",), **fields
) -> Partner:
    """A registered partner of `tenant` we can call, with receivers and senders of the given modules on the
    scripted peer, and the sync states storing a connection creates."""
    partner, _ = make_partner(tenant, *parties, name=name, token_to_them="their-token", **fields)
    for module in receivers:
        make_endpoint(partner, module, "RECEIVER", f"{peer.url}/{module}")
    for module in senders:
        make_endpoint(partner, module, "SENDER", f"{peer.url}/sender/{module}")
    sync.ensure_sync_states(partner=partner)  # as storing a connection does
    return partner


def connect_tenants(cpo, emsp, version: str) -> Partner:
    """The eMSP tenant registers with the CPO tenant in `version` through the real handshake (the CPO's
    versions URL must be served: a live server); returns the CPO tenant's partner for the eMSP."""
    at_cpo, token_a = issue_registration_token(tenant=cpo, partner_name=emsp.slug)
    # What is pushed is what these tests watch: the eMSP pulls nothing at once (a CDR pulled first would make
    # its push a duplicate, refused).
    at_emsp = Partner.objects.create(
        tenant=emsp,
        name="cpo",
        versions_url=cpo.versions_url,
        token_to_them=token_a,
        pinned_version=version,
        initial_sync="PUSH",
    )
    result = handshake.register_with_partner(partner=at_emsp)
    assert result.succeeded, result.error
    return at_cpo


def commands_cpo(tenant, peer, version: str = "2.2.1", name: str = "cpo") -> tuple[Partner, str]:
    """A CPO partner (NL*CPO) of `tenant` whose commands receiver is the scripted peer."""
    partner, token = make_partner(tenant, "NL:CPO:CPO", name=name, version=version, token_to_them="their-token")
    make_endpoint(partner, "commands", "RECEIVER", f"{peer.url}/commands")
    return partner, token


def chargingprofiles_cpo(tenant, peer, version: str = "2.2.1", name: str = "cpo") -> tuple[Partner, str]:
    """A CPO partner (NL*CPO) of `tenant` whose chargingprofiles receiver is the scripted peer."""
    partner, token = make_partner(tenant, "NL:CPO:CPO", name=name, version=version, token_to_them="their-token")
    make_endpoint(partner, "chargingprofiles", "RECEIVER", f"{peer.url}/cp/")
    return partner, token


# -- the tenant's own objects, stored through the services from the spec's examples (tests/bodies.py) ----------


def own_location(tenant, location_id: str = "LOC1", **changes) -> Location:
    """The spec's example location LOC1 (two EVSEs) as the tenant's own, with `changes` to its wire form."""
    data = copy.deepcopy(LOCATION)
    data.update(id=location_id, **changes)
    internal = get_dialect("2.2.1").module("locations").from_wire(data)
    locations.put_location(
        tenant=tenant,
        partner=None,
        country_code=data["country_code"],
        party_id=data["party_id"],
        location_id=location_id,
        data=internal,
    )
    return Location.objects.get(tenant=tenant, location_id=location_id)


def own_token(tenant, **changes) -> Token:
    """The spec's example token (DE*EMS) as the tenant's own, with `changes` to its wire form."""
    data = get_dialect("2.2.1").module("tokens").from_wire({**TOKEN, **changes})
    tokens.put_token(
        tenant=tenant,
        partner=None,
        country_code="DE",
        party_id="EMS",
        uid=data["uid"],
        token_type=data["type"],
        data=data,
    )
    return Token.objects.get(tenant=tenant, uid=data["uid"], type=data["type"])


def own_session(tenant, session_id: str = "S1", **changes) -> None:
    """The spec's example session (NL*CPO, a DE*EMS driver) as the tenant's own, with `changes`."""
    data = get_dialect("2.2.1").module("sessions").from_wire({**SESSION, "id": session_id, **changes})
    sessions.put_session(
        tenant=tenant, partner=None, country_code="NL", party_id="CPO", session_id=session_id, data=data
    )


def own_cdr(tenant, cdr_id: str = "C1", **changes):
    """The spec's example CDR (NL*CPO, a DE*EMS driver) stored as the tenant's own, with `changes`."""
    data = get_dialect("2.2.1").module("cdrs").from_wire({**CDR, "id": cdr_id, **changes})
    return cdrs.store_cdr(tenant=tenant, partner=None, data=data).cdr


# -- objects created directly, with the values a test needs ---------------------------------------------------

#: When make_location's objects last changed: before anything a test changes.
QUIET = datetime(2026, 1, 1, tzinfo=UTC)


def make_location(
    tenant, location_id: str, *, evses: int = 2, publish: bool = True, country_code="NL", party_id="CPO", partner=None
) -> Location:
    """A location in Utrecht with `evses` EVSEs (uids `<location_id>-<n>`) of one AC connector each."""
    location = Location.objects.create(
        tenant=tenant,
        partner=partner,
        country_code=country_code,
        party_id=party_id,
        location_id=location_id,
        publish=publish,
        address="Street 1",
        city="Utrecht",
        country="NLD",
        latitude="52.090000",
        longitude="5.120000",
        time_zone="Europe/Amsterdam",
        last_updated=QUIET,
    )
    for n in range(evses):
        evse = Evse.objects.create(
            tenant=tenant,
            location=location,
            uid=f"{location_id}-{n}",
            status="AVAILABLE",
            last_updated=QUIET,
            position=n,
        )
        Connector.objects.create(
            tenant=tenant,
            evse=evse,
            connector_id="1",
            standard="IEC_62196_T2",
            format="SOCKET",
            power_type="AC_3_PHASE",
            max_voltage=230,
            max_amperage=32,
            last_updated=QUIET,
        )
    return location


#: When make_session's session starts: a Monday, 09:30 in Berlin.
CHARGING_START = datetime(2024, 1, 15, 8, 30, tzinfo=UTC)
#: The driver of make_session's session.
DRIVER_TOKEN = {"country_code": "DE", "party_id": "EMS", "uid": "U1", "type": "RFID", "contract_id": "DE-EMS-C1"}


def make_tariff(tenant, tariff_id: str, example: str, **fields) -> Tariff:
    """An NL*CPO tariff in EUR with the elements (and min and max price) of the spec's example `example`."""
    wire = example_221(example)
    return Tariff.objects.create(
        tenant=tenant,
        country_code="NL",
        party_id="CPO",
        tariff_id=tariff_id,
        currency="EUR",
        elements=wire["elements"],
        min_price=wire.get("min_price"),
        max_price=wire.get("max_price"),
        last_updated=CHARGING_START,
        **fields,
    )


def make_session(tenant, **fields) -> Session:
    """A COMPLETED session S1 at connector 1 of EVSE E1 of location loc1: 7.5 kWh over 2 h 45 from
    CHARGING_START, then 42 minutes parked."""
    end_of_charging = CHARGING_START + timedelta(minutes=165)
    values = {
        "tenant": tenant,
        "country_code": "NL",
        "party_id": "CPO",
        "session_id": "S1",
        "start_date_time": CHARGING_START,
        "end_date_time": end_of_charging + timedelta(minutes=42),
        "kwh": 7.5,
        "cdr_token": DRIVER_TOKEN,
        "auth_method": "WHITELIST",
        "location_id": "loc1",
        "evse_uid": "E1",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": "2024-01-15T08:30:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": 7.5},
                    {"type": "TIME", "volume": 2.75},
                    {"type": "MAX_CURRENT", "volume": 16},
                    {"type": "CURRENT", "volume": 14},
                    {"type": "STATE_OF_CHARGE", "volume": 80},
                ],
            },
            {"start_date_time": "2024-01-15T11:15:00Z", "dimensions": [{"type": "PARKING_TIME", "volume": 0.7}]},
        ],
        "status": "COMPLETED",
        "last_updated": end_of_charging,
        **fields,
    }
    return Session.objects.create(**values)


def make_hub(peer, *, cpo_modules=(("locations", "SENDER"), ("locations", "RECEIVER"), ("commands", "RECEIVER"))):
    """A hub tenant "hub" (NL*HUB) connecting an eMSP partner (DE*EMS, which calls it: its raw token is returned)
    and a CPO partner (NL*CPO) whose platform is the scripted `peer`, both CONNECTED in its Hub Client Info.
    Returns (tenant, the eMSP partner, its token, the CPO partner)."""
    from roaming.services import hubclientinfo

    tenant = make_tenant("hub", "NL:HUB:HUB")
    emsp, token = make_partner(tenant, "DE:EMS:EMSP", name="emsp", token_to_them="emsp-token")
    cpo, _ = make_partner(tenant, "NL:CPO:CPO", name="cpo", token_to_them="their-token")
    for module, role in cpo_modules:
        make_endpoint(cpo, module, role, f"{peer.url}/{role.lower()}/{module}")
    hubclientinfo.publish_connection(tenant=tenant, partner=cpo)
    hubclientinfo.publish_connection(tenant=tenant, partner=emsp)
    return tenant, emsp, token, cpo
