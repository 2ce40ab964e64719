"""Who may write what: a partner writes only objects of its own parties."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from django.db.models import Q

from partners.models import Partner, PartnerParty, PartnerStatus, Party, Role
from partners.selectors import owner_and_hub_parties, speaks_for
from partners.services import connection_parties
from roaming.errors import Invalid, NotYours, ReceiverNotConnected, StaleWrite, UnknownReceiver
from roaming.models import ClientInfo, ConnectionStatus, Location, Session
from roaming.ocpi import status
from roaming.ocpi.client import PartnerOcpiError
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.timestamps import format_datetime

logger = logging.getLogger(__name__)


def partner_owns(partner: Partner, country_code: str, party_id: str) -> bool:
    """Whether `partner` speaks for the party country_code*party_id (case-insensitive CiStrings)."""
    return speaks_for(partner=partner, country_code=country_code, party_id=party_id)


def check_owner(
    partner: Partner,
    *,
    country_code: str,
    party_id: str,
    sender: Callable[[], PartyRef | None],
    to_party: PartyRef | None = None,
    parties: list[tuple[str, str, str, bool]] | None = None,
) -> None:
    """A partner writes only under its own parties. Through a hub (a partner with a HUB party) the request is
    that of the party `sender()` reads from OCPI-from (2.2.1 message routing), which must be the owner itself,
    or the hub's own party pushing a served party's object to all (Broadcast Push: "the party-id and
    country-code in the URL segments will still be the original party-id and country-code").
    A request addressed (OCPI-to) to a party not ours is checked as a hub would (see check_receiver).
    One plain statement for a partner that is not a hub (partners.selectors), none when `parties` (what
    owner_and_hub_parties() answers) was read with the caller's token."""
    owner = PartyRef(country_code.upper(), party_id.upper())
    rows = parties
    if rows is None:
        rows = owner_and_hub_parties(
            partner=partner,
            country_code=country_code,
            party_id=party_id,
            to_party=(to_party.country_code, to_party.party_id) if to_party is not None else None,
        )
    listed = [(PartyRef(cc, pid), role, to_us) for cc, pid, role, to_us in rows]
    if owner not in {party for party, _, _ in listed}:
        raise NotYours(f"Party {country_code}*{party_id} is not one of this partner's parties")
    if to_party is not None and not listed[0][2]:
        check_receiver(tenant_id=partner.tenant_id, to_party=to_party)
    hubs = {party for party, role, _ in listed if role == Role.HUB}
    if not hubs:
        return
    from_party = sender()
    if from_party is None:
        raise Invalid(
            "OCPI-from-country-code and OCPI-from-party-id are required through a hub", field="OCPI-from-party-id"
        )
    if from_party == owner or from_party in hubs:
        return
    if not partner_owns(partner, from_party.country_code, from_party.party_id):
        raise NotYours(f"Party {from_party} in OCPI-from is not one this hub serves")
    raise NotYours(f"Party {from_party} in OCPI-from may not write objects of {owner}")


def check_receiver(*, tenant_id: int, to_party: PartyRef) -> None:
    """A request addressed to a party that is not the tenant's own: only a hub takes it, for a party it
    connects (status_codes 4001 "Unknown receiver (TO address is unknown)") that is connected now
    (4003 "Connection problem (receiving party is not connected)"); it then passes it on as it does pushes."""
    if not Party.objects.filter(tenant_id=tenant_id, role=Role.HUB).exists():
        raise UnknownReceiver(f"Party {to_party} in OCPI-to is not served by this platform")
    statuses = set(
        ClientInfo.objects.filter(
            tenant_id=tenant_id,
            partner__isnull=True,
            country_code=to_party.country_code,
            party_id=to_party.party_id,
        ).values_list("status", flat=True)
    )
    if not statuses:
        raise UnknownReceiver(f"Party {to_party} in OCPI-to is not connected to this hub")
    if ConnectionStatus.CONNECTED not in statuses:
        raise ReceiverNotConnected(f"Party {to_party} in OCPI-to is {'/'.join(sorted(statuses))} at this hub")


def check_addressing(*, partner: Partner, to_party: PartyRef | None, from_party: PartyRef | None) -> None:
    """The routing headers of a request that writes no owned object (commands, charging profiles, authorize,
    charging preferences, sender lists): OCPI-to must name one of the tenant's own parties, or a party a hub
    tenant connects (check_receiver: 4001 / 4003); OCPI-from one the caller speaks for (transport_and_format,
    message routing: a platform sends as its own parties, a hub as the parties it serves)."""
    if (
        to_party is not None
        and not Party.objects.filter(
            tenant_id=partner.tenant_id, country_code__iexact=to_party.country_code, party_id__iexact=to_party.party_id
        ).exists()
    ):
        check_receiver(tenant_id=partner.tenant_id, to_party=to_party)
    if from_party is not None and not partner_owns(partner, from_party.country_code, from_party.party_id):
        raise NotYours(f"Party {from_party} in OCPI-from is not one of this partner's parties")


def pull_owner(*, partner: Partner, translator, wire: dict, role: str = Role.CPO) -> tuple[str, str]:
    """The owner of an object pulled from `partner`: named in the object (2.2.1) or the partner's party
    of `role` (2.1.1); it must be one of the partner's parties."""
    return pull_owners(partner=partner, translator=translator, role=role)(wire)


def pull_owners(*, partner: Partner, translator, role: str = Role.CPO) -> Callable[[dict], tuple[str, str]]:
    """pull_owner for a whole page: the partner's parties are read once, not once per object."""
    parties = list(
        PartnerParty.objects.for_tenant(partner.tenant_id)
        .filter(partner=partner)
        .values_list("country_code", "party_id", "role")
    )
    spoken_for = {(country_code.upper(), party_id.upper()) for country_code, party_id, _ in parties}
    default = next(((c, p) for c, p, r in parties if r == role), None)  # the first by PartnerParty's ordering

    def owner_of(wire: dict) -> tuple[str, str]:
        owner = translator.owner_of(wire)
        if owner is None:
            if default is None:
                raise Invalid(f"The partner has no {role} party to own what it sends")
            owner = default
        if (owner[0].upper(), owner[1].upper()) not in spoken_for:
            raise Invalid(f"Object of {owner[0]}*{owner[1]}, which is not one of the partner's parties")
        return owner

    return owner_of


def sender_owner(*, partner: Partner, translator, wire: dict, role: str, what: str) -> tuple[str, str]:
    """The owner of an object a partner sends us: named in the object (2.2.1), else the partner's first party of
    `role` (2.1.1 objects name none). Invalid when there is none; whether the partner may write for it is
    check_owner's to say, once the object is valid."""
    owner = translator.owner_of(wire)
    if owner is not None:
        return owner
    party = (
        PartnerParty.objects.for_tenant(partner.tenant_id)
        .filter(partner=partner, role=role)
        .values_list("country_code", "party_id")
        .first()
    )
    if party is None:
        raise Invalid(f"The partner has no {role} party to own its {what}")
    return party


def owned_by(model, *, tenant, country_code: str, party_id: str):
    """`model` objects of one owner party within a tenant."""
    return model.objects.for_tenant(tenant).filter(country_code=country_code.upper(), party_id=party_id.upper())


def listed_q(*, tenant, partner: Partner, dialect, role: str) -> Q:
    """What a partner's GET of a sender list may see: the tenant's own objects of its parties of `role` that
    this connection speaks for; through a hub tenant (which speaks as the hub alone), also what the hub keeps
    of the parties it connects, from every registered partner but the caller (2.2.1 transport_and_format,
    "GET All via Hubs": the Hub can combine objects from different connected parties)."""
    owners = Q(pk__in=[])
    parties = connection_parties(tenant=tenant, partner=partner, dialect=dialect)
    for party in parties:
        if party.role == role:
            owners |= Q(country_code=party.country_code, party_id=party.party_id)
    listed = owners & Q(partner__isnull=True)
    if any(party.role == Role.HUB for party in parties):
        listed |= Q(partner__status=PartnerStatus.REGISTERED) & ~Q(partner=partner)
    return listed


def drivers_of_q(partner: Partner) -> Q:
    """Sessions or CDRs of the partner's drivers: cdr_token owned by one of its eMSP parties."""
    drivers = Q(pk__in=[])
    for party in PartnerParty.objects.filter(partner=partner, role=Role.EMSP):
        drivers |= Q(cdr_token__country_code=party.country_code, cdr_token__party_id=party.party_id)
    return drivers


def check_ids(pairs: dict[str, tuple[str | None, str]]) -> None:
    """Ids in the body must be the URL's (case-insensitively): {field name: (body value, URL value)}."""
    for name, (given, expected) in pairs.items():
        if given is not None and expected is not None and given.upper() != expected.upper():
            raise Invalid(f"{name}: {given!r} in the body differs from {expected!r} in the URL", field=name)


def refuse_stale(stored, incoming, what: str, *, object_path: str = "") -> None:
    """A write whose last_updated is older than the stored object's is not applied (StaleWrite, answered as
    success): a sender's retried or reordered older state must never overwrite a newer one we hold."""
    if stored is not None and incoming is not None and incoming < stored:
        logger.info("%s: last_updated %s is older than the stored %s; not applied", what, incoming, stored)
        raise StaleWrite(
            f"Not applied: {what} is stored with a newer last_updated ({format_datetime(stored)})",
            object_path=object_path,
        )


def upsert_owned(model, *, tenant, partner, country_code: str, party_id: str, key: dict, data: dict, fields):
    """Create or replace one object of an owner party, locked for the transaction; returns (object, created).

    `key` names the object's id fields ({"tariff_id": "T1"}); ids compare case-insensitively (CiString),
    other key fields exactly.
    """
    lookup = {f"{name}__iexact" if name.endswith("id") or name == "uid" else name: value for name, value in key.items()}
    obj = (
        owned_by(model, tenant=tenant, country_code=country_code, party_id=party_id)
        .select_for_update()
        .filter(**lookup)
        .first()
    )
    created = obj is None
    if created:
        obj = model(tenant=tenant, country_code=country_code.upper(), party_id=party_id.upper(), **key)
    else:
        path = obj.object_path
        refuse_stale(obj.last_updated, data.get("last_updated"), f"{model.__name__} {path}", object_path=path)
    obj.partner = partner
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])
    obj.save()
    return obj, created


def party_of(partner: Partner, role: str) -> PartyRef | None:
    """The partner's party of `role` (where requests to it are routed)."""
    party = PartnerParty.objects.for_tenant(partner.tenant_id).filter(partner=partner, role=role).first()
    return PartyRef(party.country_code, party.party_id) if party else None


def addressed_cpo(
    *, tenant, partner: Partner, location_id: str | None = None, session_id: str | None = None
) -> PartyRef | None:
    """The CPO a request about a location or session is for: its owner, as this partner sent it to us (a hub
    serves several CPOs, and the OCPI-to headers route the request), else the partner's CPO party."""
    owner = None
    if location_id:
        owner = Location.objects.for_tenant(tenant).filter(partner=partner, location_id__iexact=location_id)
    elif session_id:
        owner = Session.objects.for_tenant(tenant).filter(partner=partner, session_id__iexact=session_id)
    found = owner.values_list("country_code", "party_id").first() if owner is not None else None
    return PartyRef(*found) if found else party_of(partner, Role.CPO)


def own_party(tenant, partner: Partner, role: str) -> PartyRef | None:
    """The tenant's party of `role` that speaks to `partner`: the one a 2.1.1 connection is bound to, else the
    tenant's first of that role."""
    party = partner.bound_party
    if party is None or party.role != role:
        party = Party.objects.for_tenant(tenant).filter(role=role).first()
    return PartyRef(party.country_code, party.party_id) if party else None


def on_partner_host(partner: Partner, url: str) -> bool:
    """Whether `url` is on a host (and port) of the partner's versions URL or endpoints: the platform POSTs
    asynchronous results to URLs a partner names, with the partner's token, so it must not be talked into
    calling anywhere else (an internal address, say)."""
    target = urlsplit(url).netloc.lower()
    known = [partner.versions_url, *partner.endpoints.values_list("url", flat=True)]
    return any(urlsplit(u).netloc.lower() == target for u in known if u)


def receiving_party(partner_id: int) -> PartyRef | None:
    """OCPI-to of a push meant for everyone behind a partner: a hub's own party, which makes it a Broadcast
    Push ("the client uses the party-id and country-code of the Hub in the 'OCPI-to-' headers"), else the
    partner's first party."""
    return receiving_parties([partner_id])[partner_id]


def receiving_parties(partner_ids) -> dict[int, PartyRef | None]:
    """receiving_party of each of many partners, in one query."""
    parties: dict[int, list[PartnerParty]] = {partner_id: [] for partner_id in partner_ids}
    for party in PartnerParty.objects.filter(partner_id__in=parties).order_by("role", "country_code", "party_id"):
        parties[party.partner_id].append(party)
    chosen = {
        partner_id: next((p for p in theirs if p.role == Role.HUB), theirs[0] if theirs else None)
        for partner_id, theirs in parties.items()
    }
    return {partner_id: PartyRef(p.country_code, p.party_id) if p else None for partner_id, p in chosen.items()}


def pull_routing(*, partner: Partner) -> dict[str, PartyRef | None]:
    """Routing headers of a GET of a partner's whole list: to its party, or to a hub's own party ("GET All via
    Hubs: ... the TO headers in the request to the Hub has to be set to the Hub"), from our first party on
    the connection."""
    ours = Party.objects.for_tenant(partner.tenant_id).order_by("role", "country_code", "party_id").first()
    return {
        "to_party": receiving_party(partner.pk),
        "from_party": PartyRef(ours.country_code, ours.party_id) if ours else None,
    }


def hub_reports(partner_ids) -> dict[tuple[int, int, str, str], set[str]]:
    """What hubs among these partners reported of the parties behind them (Hub Client Info): the statuses of
    each (tenant, partner, country code, party id), in one query, for ensure_reachable."""
    reports: dict[tuple[int, int, str, str], set[str]] = {}
    for key in ClientInfo.objects.filter(partner_id__in=list(partner_ids)).values_list(
        "tenant_id", "partner_id", "country_code", "party_id", "status"
    ):
        reports.setdefault(key[:4], set()).add(key[4])
    return reports


def ensure_reachable(*, partner: Partner, party: PartyRef | None, reported=None) -> None:
    """Refuse a request addressed to a party that its hub (the partner) reported not connected, none of its
    roles CONNECTED (mod_hub_client_info OFFLINE: "No requests can be sent. Do not queue Push messages"):
    it fails at once, not retried, as the hub would answer it (4003 Connection problem). `reported`: what
    hub_reports() read for the partner, when the caller has read it already."""
    if party is None:
        return
    if reported is None:
        reported = hub_reports([partner.pk])
    statuses = reported.get((partner.tenant_id, partner.pk, party.country_code, party.party_id), set())
    if statuses and ConnectionStatus.CONNECTED not in statuses:
        error = PartnerOcpiError(
            status.HUB_CONNECTION_PROBLEM, f"{party} is {'/'.join(sorted(statuses))} according to the hub"
        )
        error.retryable = False
        raise error
