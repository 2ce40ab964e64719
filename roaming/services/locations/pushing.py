"""How locations, EVSEs and connectors are pushed to partners (mod_locations receiver interface of
theirs): the request for one delivery or a batch, built from the current state in the partner's
version, and what a partner holds of ours once in sync.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict

import orjson

from partners.models import Partner, PartnerParty, Party, Role
from roaming.errors import UnknownObject
from roaming.models import DeliveryMethod, Location
from roaming.ocpi.common import business_details_to_wire
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.headers import PartyRef
from roaming.ocpi.timestamps import now
from roaming.services import outbox
from roaming.services.locations.pages import rendered
from roaming.services.locations.selectors import (
    MODULE,
    connector_of,
    evse_of,
    find,
    visible_to,
    with_children,
    with_keys,
)
from roaming.services.ownership import receiving_parties, receiving_party
from tariffs.models import Tariff

LEVELS = ("location", "evse", "connector")


def _load(tenant_id: int, path: str):
    parts = path.split("/")
    country_code, party_id, location_id = parts[:3]
    queryset = Location.objects.filter(tenant_id=tenant_id, country_code=country_code, party_id=party_id)
    try:
        return find(
            queryset,
            location_id=location_id,
            evse_uid=parts[3] if len(parts) > 3 else None,
            connector_id=parts[4] if len(parts) > 4 else None,
        ), LEVELS[len(parts) - 3]
    except UnknownObject:
        return None, None


# Locations with their EVSEs and connectors as loaded for pushes, by state (tenant, id, revision, last_updated):
# a burst of changes owed to many partners asks each worker process for the same states over and over, and a
# location's revision moves with every write to it or below it (the key the wire cache of pages trusts too).
# What is kept is only read: the builders translate it, never change it.
_LOADED: OrderedDict[tuple, Location] = OrderedDict()
# The bodies built from those states, by version and delivery (path, method, fields): every partner of a
# version is sent the same body for the same state.
_BUILT: OrderedDict[tuple, tuple] = OrderedDict()
_KEPT_STATES = 2000


def _keep(cache: OrderedDict, key: tuple, value) -> None:
    cache[key] = value
    if len(cache) > _KEPT_STATES:
        cache.popitem(last=False)


def _state(location: Location) -> tuple:
    return (location.tenant_id, location.pk, location.revision, location.last_updated)


def _load_many(tenant_id: int, paths: list[str]) -> dict[str, tuple]:
    """_load for many paths at once: their locations' states in one query, and the states this process has not
    loaded yet with EVSEs and connectors in three more; the addressed EVSE or connector picked from them as
    find() does (ids compared case-insensitively)."""
    keys = {(cc, pid, location_id.upper()) for cc, pid, location_id, *_ in (path.split("/") for path in paths)}
    states = {
        (cc, pid, key): (tenant_id, pk, revision, last_updated)
        for cc, pid, key, pk, revision, last_updated in with_keys(tenant_id, keys).values_list(
            "country_code", "party_id", "id_key", "pk", "revision", "last_updated"
        )
    }
    found = {key: _LOADED[state] for key, state in states.items() if state in _LOADED}
    if missing := set(states) - set(found):
        for location in with_children(with_keys(tenant_id, missing)):  # maybe newer than its state read above
            found[(location.country_code, location.party_id, location.id_key)] = location
            _keep(_LOADED, _state(location), location)
    loaded = {}
    for path in paths:
        parts = path.split("/")
        obj = found.get((parts[0], parts[1], parts[2].upper()))
        if obj is not None and len(parts) > 3:
            obj = evse_of(obj, parts[3])
        if obj is not None and len(parts) > 4:
            obj = connector_of(obj, parts[4])
        loaded[path] = (obj, LEVELS[len(parts) - 3]) if obj is not None else (None, None)
    return loaded


def build_push(delivery, dialect: Dialect) -> outbox.OutgoingRequest | None:
    """The PUT or PATCH of a location, EVSE or connector in its current state. A PATCH carries the PUT of
    the whole location (at the location's path) to send instead: a partner lacking an EVSE or connector
    usually lacks its location."""
    obj, level = _load(delivery.tenant_id, delivery.object_path)
    return _build_push(delivery, dialect, obj, level, to_party=receiving_party(delivery.partner_id))


def _bodies(delivery, dialect: Dialect, obj, level, location) -> tuple[dict | None, dict | None]:
    """The delivery's body in the partner's version, and for a PATCH the body of its location's PUT; both None
    when the partner may not see the location. Built once per state, version and delivery: they are shared
    between requests, so nothing may change them (push.body_for copies before it adds to one)."""
    key = (dialect.version, *_state(location), delivery.object_path, delivery.method, tuple(delivery.fields))
    if key in _BUILT:
        return _BUILT[key]
    translator = dialect.module(MODULE)
    body = whole = None
    if translator.may_see(location):
        if delivery.method == DeliveryMethod.PATCH:
            body = translator.patch_to_wire(obj, level=level, fields=delivery.fields)
            whole = translator.to_wire(location, "location")
        else:
            body = translator.to_wire(obj, level)
    _keep(_BUILT, key, (body, whole))
    return body, whole


def _build_push(delivery, dialect: Dialect, obj, level, *, to_party: PartyRef | None) -> outbox.OutgoingRequest | None:
    if obj is None:
        return None
    location = obj if level == "location" else obj.location if level == "evse" else obj.evse.location
    body, whole_body = _bodies(delivery, dialect, obj, level, location)
    if body is None:  # not for this partner's eyes, or nothing this version can express
        return None
    sent = {
        "module": MODULE,
        "to_party": to_party,
        "from_party": PartyRef(location.country_code, location.party_id),
        # Looked up now when it may be needed: a batch sends from other threads (see _our_values).
        "fill": _our_values(location, dialect, now=True) if _fills(delivery) else None,
    }
    # The location's extension fields go with the location's own body, never inside an EVSE or connector.
    extensions = location.extensions if level == "location" else {}
    whole = None
    if delivery.method == DeliveryMethod.PATCH:
        whole = outbox.OutgoingRequest(
            "PUT",
            location.object_path,
            body=whole_body,
            extensions=location.extensions,
            **sent,
        )
    return outbox.OutgoingRequest(
        delivery.method,
        delivery.object_path,
        body=body,
        whole=whole,
        part=_PARTS[level],
        extensions=extensions,
        **sent,
    )


def _fills(delivery) -> bool:
    """Whether the partner requires fields to be filled (on whole objects: a PUT, or the PUT a PATCH may become)."""
    return bool(delivery.partner.profile.required_fields)


#: Where each level's body sits in a location on the wire (push.OutgoingRequest.part).
_PARTS = {"location": "", "evse": "evses", "connector": "evses.connectors"}


def _our_values(location: Location, dialect: Dialect, *, now: bool = False):
    """What our data says for optional fields a partner requires (profile.required_fields) and a location we
    send lacks: operator and owner are the owning party's business details (the tenant's own party of the
    location, or for a location received from a partner, that partner's party); capabilities an empty list;
    a connector's tariff the one tariff of the owner that applies (see applying_tariff); without one, 2.2.1's
    tariff_ids an empty list and 2.1.1's tariff_id (a string, with no empty value) left out.
    Looked up only when a field is wanted, once per location; with `now`, at once (a batch sends from other
    threads, whose database connections are not the builder's)."""
    found: dict[str, object] = {}

    def value(path: str, holder: dict):
        name = path.rpartition(".")[2]
        if name in ("operator", "owner"):
            if "details" not in found:
                found["details"] = _owner_details(location)
            return found["details"]
        if name == "capabilities":
            return []
        if name in ("tariff_id", "tariff_ids"):
            if "tariff" not in found:
                found["tariff"] = applying_tariff(location, dialect)
            tariff_id = found["tariff"]
            if name == "tariff_ids":  # an empty list names no tariff, as an absent one does
                return [] if tariff_id is None else [tariff_id]
            return tariff_id
        return None

    if now:
        found["details"] = _owner_details(location)
        found["tariff"] = applying_tariff(location, dialect)
    return value


def _owner_details(location: Location) -> dict | None:
    """The BusinessDetails of the party owning `location`, on the wire (both versions alike), or None
    when the party is unknown or has no name."""
    owners = (
        PartnerParty.objects.for_tenant(location.tenant_id).filter(partner_id=location.partner_id)
        if location.partner_id
        else Party.objects.for_tenant(location.tenant_id)
    )
    party = owners.filter(country_code=location.country_code, party_id=location.party_id, role=Role.CPO).first()
    if party is None or not party.name:
        return None
    logo = {
        "url": party.logo_url,
        "thumbnail": party.logo_thumbnail,
        "category": party.logo_category,
        "type": party.logo_type,
        "width": party.logo_width,
        "height": party.logo_height,
    }
    return business_details_to_wire(
        {"name": party.name, "website": party.website, "logo": logo if party.logo_category else None}
    )


def applying_tariff(location: Location, dialect: Dialect) -> str | None:
    """The id of the tariff that applies to a connector naming none, for a partner that requires one: the
    owner's only tariff in force now that this partner may see or, among several, the only REGULAR (or
    untyped) one. With none, or no way to choose, None: a guessed tariff would bill drivers wrongly."""
    moment = now()
    in_force = [
        tariff
        for tariff in Tariff.objects.for_tenant(location.tenant_id).filter(
            country_code=location.country_code, party_id=location.party_id, partner_id=location.partner_id
        )
        if (tariff.start_date_time is None or tariff.start_date_time <= moment)
        and (tariff.end_date_time is None or tariff.end_date_time > moment)
        and dialect.module("tariffs").may_see(tariff, moment)
    ]
    if len(in_force) > 1:
        in_force = [tariff for tariff in in_force if tariff.type in ("", "REGULAR")]
    return in_force[0].tariff_id if len(in_force) == 1 else None


def build_pushes(deliveries: list, dialect: Dialect) -> dict[int, outbox.OutgoingRequest | None]:
    """build_push for the deliveries of one or more partners speaking `dialect`'s version, by delivery id: the
    PUTs of whole locations (an initial sync's) in a few queries for each partner's, their bodies the wire form
    rendered once per version and revision (render_page's cache, shared with the sender's pages); the others
    (EVSE and connector PATCHes, mostly) built one by one from their locations, loaded together for all."""
    to_parties = receiving_parties({d.partner_id for d in deliveries})
    whole: dict[int, list] = defaultdict(list)
    others: dict[int, list] = defaultdict(list)
    for delivery in deliveries:
        is_whole = delivery.method == DeliveryMethod.PUT and delivery.object_path.count("/") == 2
        (whole if is_whole else others)[delivery.partner_id if is_whole else delivery.tenant_id].append(delivery)
    built = {}
    for tenant_id, theirs in others.items():
        loaded = _load_many(tenant_id, [d.object_path for d in theirs])
        for d in theirs:
            built[d.pk] = _build_push(d, dialect, *loaded[d.object_path], to_party=to_parties[d.partner_id])
    for partner_id, theirs in whole.items():
        built.update(_whole_locations(theirs, dialect, to_party=to_parties[partner_id]))
    return built


def _whole_locations(whole: list, dialect: Dialect, *, to_party) -> dict[int, outbox.OutgoingRequest | None]:
    """The PUTs of whole locations to one partner, as build_pushes gives them."""
    built = {}
    keys = {}
    for delivery in whole:
        country_code, party_id, location_id = delivery.object_path.split("/")
        keys[(country_code, party_id, location_id.upper())] = delivery
    found = {
        (location.country_code, location.party_id, location.id_key): location
        for location in with_keys(whole[0].tenant_id, keys).only(
            "pk",
            "tenant_id",
            "partner_id",
            "country_code",
            "party_id",
            "location_id",
            "publish",
            "publish_allowed_to",
            "revision",
            "last_updated",
            "extensions",
        )
    }
    translator = dialect.module(MODULE)
    visible = {key: location for key, location in found.items() if translator.may_see(location)}
    bodies = rendered([(loc.pk, loc.revision, loc.last_updated) for loc in visible.values()], dialect)
    requires_fields = _fills(whole[0])
    for key, delivery in keys.items():
        location = visible.get(key)
        body = orjson.loads(bodies[location.pk]) if location is not None else None
        if body is None:  # gone, not for this partner's eyes, or nothing this version can express
            built[delivery.pk] = None
            continue
        # As build_push sends it: the partner's profile decides on the routing headers, fills the fields it
        # requires and gets its extension fields back.
        built[delivery.pk] = outbox.OutgoingRequest(
            DeliveryMethod.PUT,
            delivery.object_path,
            body=body,
            module=MODULE,
            to_party=to_party,
            from_party=PartyRef(location.country_code, location.party_id),
            extensions=location.extensions,
            fill=_our_values(location, dialect, now=True) if requires_fields else None,
        )
    return built


def current(partner: Partner, dialect: Dialect) -> list[str]:
    """Paths of the locations a partner holds of ours once in sync: what it may list, oldest first."""
    owned = visible_to(tenant=partner.tenant, partner=partner, dialect=dialect).order_by("pk")
    return ["/".join(row) for row in owned.values_list("country_code", "party_id", "location_id")]
