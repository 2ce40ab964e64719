"""Pulled pages of every module, both versions (roaming.services.sync): one bad object is refused alone and named
with its id and the field that is wrong, the rest of the page is taken; ids in another case update what is
stored; nulls in optional fields are read as left out; a page whose data is null is an empty page."""

from __future__ import annotations

import pytest

from partners.models import PartnerEndpoint, Party
from roaming.models import Cdr, ClientInfo, Location, Session, SyncState, Token
from roaming.services import sync
from tariffs.models import Tariff
from tests.bodies import body
from tests.factories import make_partner
from tests.roaming.reading_helpers import stored, with_nulls, without


class Module:
    """How one module's pulled objects are named, broken and found in the database."""

    def __init__(self, name, model, id_field, key, bad, nulls, changed, tenant="emsp", partner="NL:CPO:CPO"):
        self.name, self.model, self.id_field, self.key = name, model, id_field, key
        self.bad, self.nulls, self.changed = bad, nulls, changed
        self.tenant, self.partner = tenant, partner

    def wire(self, version: str, object_id: str, **changes) -> dict:
        return body(self.name, version, **{self.key: self.id(object_id)}, **changes)

    def id(self, object_id: str) -> str:
        """A ClientInfo is named by its party, whose id is a CiString(3): "Good-1" becomes "Go1"."""
        return f"{object_id[:2]}{object_id[-1]}" if self.name == "hubclientinfo" else object_id

    def stored_ids(self) -> list[str]:
        return sorted(self.model.objects.values_list(self.id_field, flat=True))


MODULES = {
    "locations": Module(
        "locations",
        Location,
        "location_id",
        "id",
        ("address", 5, "address: Input should be a valid string"),
        {"2.2.1": [("evses", 0, "status_schedule"), ("operator",)], "2.1.1": [("evses", 0, "status_schedule")]},
        ("name", "Renamed"),
    ),
    "tariffs": Module(
        "tariffs",
        Tariff,
        "tariff_id",
        "id",
        ("currency", 5, "currency: Input should be a valid string"),
        {"2.2.1": [("tariff_alt_url",), ("elements", 0, "restrictions")], "2.1.1": [("tariff_alt_text",)]},
        ("currency", "GBP"),
    ),
    "tokens": Module(
        "tokens",
        Token,
        "uid",
        "uid",
        ("whitelist", "SOMETIMES", "whitelist: Input should be 'ALWAYS', 'ALLOWED', 'ALLOWED_OFFLINE' or 'NEVER'"),
        {"2.2.1": [("visual_number",), ("group_id",)], "2.1.1": [("language",)]},
        ("issuer", "Renamed"),
        tenant="cpo",
        partner="DE:EMS:EMSP",
    ),
    "sessions": Module(
        "sessions",
        Session,
        "session_id",
        "id",
        ("kwh", "lots", "kwh: Value error, must be a JSON number"),
        {"2.2.1": [("meter_id",), ("total_cost", "incl_vat")], "2.1.1": [("meter_id",), ("total_cost",)]},
        ("currency", "GBP"),
    ),
    "cdrs": Module(
        "cdrs",
        Cdr,
        "cdr_id",
        "id",
        ("total_energy", "x", "total_energy: Value error, must be a JSON number"),
        {"2.2.1": [("remark",), ("session_id",)], "2.1.1": [("remark",), ("meter_id",)]},
        None,  # a CDR never changes: pulled again, it is left as it was
    ),
    "hubclientinfo": Module(
        "hubclientinfo",
        ClientInfo,
        "party_id",
        "party_id",
        ("status", "GONE", "status: Input should be 'CONNECTED', 'OFFLINE', 'PLANNED' or 'SUSPENDED'"),
        {"2.2.1": []},
        ("status", "OFFLINE"),
        tenant="cpo",
        partner="NL:HUB:HUB",
    ),
}
CASES = [
    pytest.param(name, version, id=f"{name}-{version}")
    for name in MODULES
    for version in ("2.2.1", "2.1.1")
    if name != "hubclientinfo" or version == "2.2.1"
]


@pytest.fixture
def pulling(request, db, peer):
    """(module, version, state) of a registered partner offering the module as a sender at the peer."""

    def make(name: str, version: str):
        module = MODULES[name]
        tenant = request.getfixturevalue(f"{module.tenant}_tenant")
        partner, _ = make_partner(tenant, module.partner, name="partner", version=version, token_to_them="t")
        if version == "2.1.1":  # a 2.1.1 connection speaks for one party of ours
            partner.bound_party = Party.objects.get(tenant=tenant)
            partner.save()
        PartnerEndpoint.objects.create(
            tenant=tenant, partner=partner, identifier=name, role="SENDER", url=f"{peer.url}/{name}/"
        )
        [state] = sync.ensure_sync_states(partner=partner)
        return module, state

    return make


def serve(peer, name: str, objects) -> None:
    peer.ok(f"/{name}/", objects)


@pytest.mark.parametrize("name, version", CASES)
def test_one_bad_object_is_refused_alone_named_with_its_id_and_field_and_the_rest_is_taken(
    pulling, peer, name, version
):
    module, state = pulling(name, version)
    field, value, message = module.bad
    bad = module.wire(version, "Bad-2", **{field: value})
    serve(peer, name, [module.wire(version, "Good-1"), bad, module.wire(version, "Good-3")])

    result = sync.pull(state_id=state.pk)

    assert (result.complete, result.objects, result.rejected) == (True, 2, 1)
    named = "DE*Ba2" if name == "hubclientinfo" else "'Bad-2'"
    assert result.refused == (f"{name} {named}: {message}",)
    # country_code and party_id are kept upper-case (docs/compatibility.md, Reading policy)
    assert module.stored_ids() == (["GO1", "GO3"] if name == "hubclientinfo" else ["Good-1", "Good-3"])
    state.refresh_from_db()
    assert (state.last_objects, state.last_rejected, state.last_refused) == (2, 1, result.refused[0])
    assert state.cursor is not None  # the pull is complete: a bad object is the partner's fault, not a failure


@pytest.mark.parametrize("name, version", CASES)
def test_an_object_pulled_again_with_its_id_in_another_case_updates_the_stored_one(pulling, peer, name, version):
    module, state = pulling(name, version)
    serve(peer, name, [module.wire(version, "Obj-1")])
    assert sync.pull(state_id=state.pk).objects == 1
    again = module.wire(version, "OBJ-1")
    if module.changed:
        again[module.changed[0]] = module.changed[1]
    if version == "2.2.1" and "country_code" in again:
        again["country_code"] = again["country_code"].lower()
    serve(peer, name, [again])

    result = sync.pull(state_id=state.pk, full=True)

    assert (result.complete, result.rejected) == (True, 0)
    assert module.stored_ids() == (["OB1"] if name == "hubclientinfo" else ["Obj-1"])
    stored = module.model.objects.get()
    if module.changed:
        assert getattr(stored, module.changed[0]) == module.changed[1]
    if name != "hubclientinfo":
        assert (stored.country_code, stored.party_id) == (("DE", "EMS") if name == "tokens" else ("NL", "CPO"))


@pytest.mark.parametrize("name, version", [c for c in CASES if c.values[0] != "hubclientinfo"])
def test_nulls_in_optional_fields_of_pulled_objects_are_read_as_left_out(pulling, peer, name, version):
    module, state = pulling(name, version)
    nulls = module.nulls[version]
    serve(peer, name, [with_nulls(module.wire(version, "Nulls-1"), nulls)])
    assert (sync.pull(state_id=state.pk).refused, module.stored_ids()) == ((), ["Nulls-1"])
    with_null = stored(module.model)
    module.model.objects.all().delete()
    serve(peer, name, [without(module.wire(version, "Nulls-1"), nulls)])
    assert sync.pull(state_id=state.pk, full=True).objects == 1
    assert stored(module.model) == with_null


def test_a_page_whose_data_is_null_is_an_empty_page(pulling, peer):
    module, state = pulling("tariffs", "2.2.1")
    peer.ok("/tariffs/", None)
    result = sync.pull(state_id=state.pk)
    assert (result.complete, result.pages, result.objects, result.error) == (True, 1, 0, "")


def test_a_full_pull_with_a_refused_tariff_removes_nothing_until_a_clean_one(pulling, peer):
    module, state = pulling("tariffs", "2.2.1")
    serve(peer, "tariffs", [module.wire("2.2.1", "T1"), module.wire("2.2.1", "T2")])
    sync.pull(state_id=state.pk, full=True)
    serve(peer, "tariffs", [module.wire("2.2.1", "T1"), module.wire("2.2.1", "T2", currency=5)])
    result = sync.pull(state_id=state.pk, full=True)
    assert (result.rejected, result.pruned, module.stored_ids()) == (1, 0, ["T1", "T2"])
    serve(peer, "tariffs", [module.wire("2.2.1", "T1")])
    assert sync.pull(state_id=state.pk, full=True).pruned == 1
    assert module.stored_ids() == ["T1"]


def test_the_refusals_kept_on_the_sync_state_are_bounded(pulling, peer):
    module, state = pulling("tariffs", "2.2.1")
    serve(peer, "tariffs", [module.wire("2.2.1", f"T{n}", currency=5) for n in range(sync.REFUSALS_KEPT + 3)])
    result = sync.pull(state_id=state.pk)
    state = SyncState.objects.get(pk=state.pk)
    assert result.rejected == len(result.refused) == sync.REFUSALS_KEPT + 3
    lines = state.last_refused.splitlines()
    assert len(lines) == sync.REFUSALS_KEPT + 1 and lines[-1] == "and 3 more"
    assert lines[0] == "tariffs 'T0': currency: Input should be a valid string"
