"""What 2.3.0 adds, through its dialect: open enums kept, parking and the other new Location fields, taxes
in prices, hub_party_id, custom modules in version details; and how much of it reaches 2.2.1 and 2.1.1."""

import copy
from types import SimpleNamespace

import pytest

from roaming.ocpi.credentials import Credentials, CredentialsRole
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import InvalidParameters
from tests.roaming.locations_helpers import materialize, normalized
from tests.spec_examples import example_230

V230, V221, V211 = (get_dialect(v) for v in ("2.3.0", "2.2.1", "2.1.1"))
L230, L221, L211 = (d.module("locations") for d in (V230, V221, V211))


def location_230() -> dict:
    """The chapter's location example with every 2.3.0 addition, and values of a partner's own in open enums."""
    wire = copy.deepcopy(example_230("location_example.json"))
    wire["help_phone"] = "+3212345678"
    wire["facilities"] = ["CAFE", "EV_LOUNGE"]
    wire["parking_type"] = "ON_STREET_BAY"
    wire["images"] = [{"url": "https://img.example/1.png", "category": "DRONE_VIEW", "type": "png"}]
    evse = wire["evses"][0]
    evse["capabilities"] = ["RESERVABLE", "V2G_CAPABLE"]
    evse["parking_restrictions"] = ["EV_ONLY", "TAXIS"]
    evse["accepted_service_providers"] = ["Drive Co", "Plug Pay"]
    evse["connectors"][0]["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    evse["connectors"][1]["standard"] = "MCS"
    wire["evses"][1]["connectors"][0]["standard"] = "SAE_J3400"
    wire["parking_places"][0] |= {"vehicle_types": ["PERSONAL_VEHICLE", "CARGO_BIKE"], "max_vehicle_height": 210}
    return wire


def test_a_2_3_0_location_keeps_every_addition_and_values_of_the_partners_own():
    wire = location_230()
    internal = L230.from_wire(wire)
    assert internal["help_phone"] == "+3212345678"
    assert internal["parking_type"] == "ON_STREET_BAY"
    assert internal["parking_places"][0]["vehicle_types"] == ["PERSONAL_VEHICLE", "CARGO_BIKE"]
    assert internal["evses"][0]["parking"] == [
        {"parking_id": "1", "evse_position": "LEFT"},
        {"parking_id": "2", "evse_position": "RIGHT"},
    ]
    assert internal["evses"][0]["accepted_service_providers"] == ["Drive Co", "Plug Pay"]
    assert internal["evses"][0]["connectors"][0]["capabilities"] == ["ISO_15118_2_PLUG_AND_CHARGE"]
    assert normalized(L230.to_wire(materialize(internal))) == normalized(wire)


def test_a_2_3_0_location_reaches_2_2_1_with_all_2_2_1_can_name():
    out = L221.to_wire(materialize(L230.from_wire(location_230())))
    for field in ("help_phone", "parking_places", "parking_type"):
        assert field not in out
    assert out["facilities"] == ["CAFE"]
    assert out["images"][0]["category"] == "OTHER"
    evse = out["evses"][0]
    assert evse["capabilities"] == ["RESERVABLE"]
    assert evse["parking_restrictions"] == ["EV_ONLY"]
    assert "parking" not in evse and "accepted_service_providers" not in evse
    # The MCS connector is left out, and the EVSE whose only connector is SAE_J3400 with it.
    assert [c["id"] for c in evse["connectors"]] == ["1"] and "capabilities" not in evse["connectors"][0]
    assert [e["uid"] for e in out["evses"]] == ["3256"]
    L221.from_wire(out)  # what 2.2.1 gets is valid 2.2.1


def test_a_2_3_0_location_reaches_2_1_1_with_all_2_1_1_can_name():
    out = L211.to_wire(materialize(L230.from_wire(location_230())))
    assert out["type"] == "OTHER"  # a parking type of the partner's own
    assert out["facilities"] == ["CAFE"]
    assert out["evses"][0]["capabilities"] == ["RESERVABLE"]
    assert out["evses"][0]["parking_restrictions"] == ["EV_ONLY"]
    assert [e["uid"] for e in out["evses"]] == ["3256"]
    L211.from_wire(out, owner=("BE", "BEC"))


def test_an_open_enum_value_is_printable_ascii_without_spaces():
    wire = location_230()
    wire["evses"][0]["capabilities"] = ["NOT A VALUE"]
    with pytest.raises(InvalidParameters, match=r"evses\[0\]\.capabilities\[0\]"):
        L230.from_wire(wire)


def test_a_closed_enum_stays_closed_in_2_3_0():
    wire = location_230()
    wire["evses"][0]["connectors"][0]["power_type"] = "AC_4_PHASE"
    with pytest.raises(InvalidParameters, match=r"evses\[0\]\.connectors\[0\]\.power_type"):
        L230.from_wire(wire)


def test_parking_requires_its_vehicle_types_and_rules():
    wire = location_230()
    del wire["parking_places"][1]["restricted_to_type"]
    with pytest.raises(InvalidParameters, match=r"parking_places\[1\]\.restricted_to_type: required field is missing"):
        L230.from_wire(wire)


def test_a_2_3_0_price_keeps_its_taxes_and_2_2_1_gets_the_total_including_them():
    sessions = V230.module("sessions")
    wire = example_230("session_example_2_short_finished.json")
    wire = {
        **wire,
        "total_cost": {
            "before_taxes": 10,
            "taxes": [
                {"name": "GST", "account_number": "123", "percentage": 5, "amount": 0.5},
                {"name": "QST", "percentage": 9.975, "amount": 1.0},
            ],
        },
    }
    internal = sessions.from_wire(wire)
    assert internal["total_cost"]["excl_vat"] == 10 and internal["total_cost"]["incl_vat"] == 11.5
    session = SimpleNamespace(location_211=None, **internal)
    assert sessions.to_wire(session)["total_cost"] == wire["total_cost"]
    assert V221.module("sessions").to_wire(session)["total_cost"] == {"excl_vat": 10, "incl_vat": 11.5}


def test_a_price_from_an_older_version_carries_its_vat_as_one_tax():
    session = SimpleNamespace(
        **V221.module("sessions").from_wire(
            {**example_230("session_example_2_short_finished.json"), "total_cost": {"excl_vat": 4, "incl_vat": 4.84}}
            | {"cdr_token": example_230("session_example_2_short_finished.json")["cdr_token"]}
        ),
        location_211=None,
    )
    assert V230.module("sessions").to_wire(session)["total_cost"] == {
        "before_taxes": 4,
        "taxes": [{"name": "VAT", "amount": 0.84}],
    }


def test_a_tariff_including_taxes_reaches_older_versions_with_prices_before_them():
    tariffs = V230.module("tariffs")
    wire = copy.deepcopy(example_230("tariff_1_simple_2hour.json"))
    wire["tax_included"] = "YES"
    wire["elements"][0]["price_components"][0] |= {"price": 2.42, "vat": 21.0}
    wire["min_price"] = {"before_taxes": 1.0, "after_taxes": 1.21}
    tariff = SimpleNamespace(**tariffs.from_wire(wire))
    assert tariff.tax_included == "YES" and tariff.min_price == {"excl_vat": 1.0, "incl_vat": 1.21}
    assert normalized(tariffs.to_wire(tariff)) == normalized(wire)
    for older in (V221, V211):
        component = older.module("tariffs").to_wire(tariff)["elements"][0]["price_components"][0]
        assert component["price"] == 2.0
    assert V221.module("tariffs").to_wire(tariff)["min_price"] == {"excl_vat": 1.0, "incl_vat": 1.21}


def test_a_tariff_from_an_older_version_is_written_as_excluding_taxes():
    tariff = SimpleNamespace(**V221.module("tariffs").from_wire(example_230("tariff_1_simple_2hour.json")))
    assert V230.module("tariffs").to_wire(tariff)["tax_included"] == "NO"


def test_a_2_3_0_tariff_without_tax_included_is_refused_naming_it():
    wire = copy.deepcopy(example_230("tariff_1_simple_2hour.json"))
    del wire["tax_included"]
    with pytest.raises(InvalidParameters, match="tax_included: required field is missing"):
        V230.module("tariffs").from_wire(wire)


def test_emaid_tokens_and_token_types_of_a_partners_own_are_kept_and_reach_2_2_1_as_other():
    tokens = V230.module("tokens")
    for token_type in ("EMAID", "KEY_FOB"):
        wire = {**example_230("token_example_2_full_rfid.json"), "type": token_type}
        token = SimpleNamespace(**tokens.from_wire(wire))
        assert tokens.to_wire(token)["type"] == token_type
        assert V221.module("tokens").to_wire(token)["type"] == "OTHER"


@pytest.mark.parametrize("name", ["credentials_example.json", "credentials_example2.json", "credentials_example4.json"])
def test_credentials_examples_round_trip(name):
    credentials = V230.module("credentials")
    wire = example_230(name)
    assert credentials.to_wire(credentials.from_wire(wire)) == wire


def test_a_hub_is_named_by_hub_party_id_and_lists_its_clients_as_roles():
    credentials = V230.module("credentials")
    read = credentials.from_wire({**example_230("credentials_example4.json"), "hub_party_id": "nlhub"})
    assert [(r.role, r.country_code, r.party_id) for r in read.roles][:2] == [
        ("HUB", "NL", "HUB"),
        ("CPO", "NL", "EXO"),
    ]
    ours = Credentials(
        "t",
        "https://us.example/versions",
        (
            CredentialsRole("HUB", "DE", "HUB", {"name": "Hub"}),
            CredentialsRole("CPO", "DE", "CPA", {"name": "Client A"}),
        ),
    )
    wire = credentials.to_wire(ours)
    assert wire["hub_party_id"] == "DEHUB"
    assert [(r["role"], r["party_id"]) for r in wire["roles"]] == [("CPO", "CPA")]


def test_hub_is_not_a_role_in_2_3_0_credentials():
    wire = copy.deepcopy(example_230("credentials_example.json"))
    wire["roles"][0]["role"] = "HUB"
    with pytest.raises(InvalidParameters, match=r"roles\[0\]\.role"):
        V230.module("credentials").from_wire(wire)


def test_a_custom_module_in_version_details_is_read_and_left_alone():
    details = {
        "version": "2.3.0",
        "endpoints": [
            {"identifier": "credentials", "role": "RECEIVER", "url": "https://p.example/ocpi/2.3.0/credentials"},
            {"identifier": "parkingsessions", "role": "SENDER", "url": "https://p.example/ocpi/2.3.0/parkingsessions"},
        ],
    }
    endpoints = V230.module("versions").details_from_wire(details)
    assert [e.identifier for e in endpoints] == ["credentials", "parkingsessions"]


ENERGY_MIX_230 = {
    "is_green_energy": False,
    "energy_sources": [{"source": "SOLAR", "percentage": 40}],
    "environ_impact": [{"category": "CARBON_DIOXIDE", "amount": 120}, {"category": "PARTICULATES", "amount": 3}],
}


def test_an_environmental_impact_category_of_the_partners_own_reaches_only_2_3_0():
    wire = {**location_230(), "energy_mix": ENERGY_MIX_230}
    location = materialize(L230.from_wire(wire))
    assert L230.to_wire(location)["energy_mix"]["environ_impact"][1] == {"category": "PARTICULATES", "amount": 3}
    assert L221.to_wire(location)["energy_mix"]["environ_impact"] == [{"category": "CARBON_DIOXIDE", "amount": 120}]
    assert L211.to_wire(location)["energy_mix"]["environ_impact"] == [{"source": "CARBON_DIOXIDE", "amount": 120}]
    # A mix left with no impact 2.2.1 can name carries none.
    only_own = {**ENERGY_MIX_230, "environ_impact": ENERGY_MIX_230["environ_impact"][1:]}
    assert (
        "environ_impact"
        not in L221.to_wire(materialize(L230.from_wire({**wire, "energy_mix": only_own})))["energy_mix"]
    )


def test_a_tariffs_environmental_impact_of_the_partners_own_reaches_only_2_3_0():
    wire = {**example_230("tariff_1_simple_2hour.json"), "energy_mix": ENERGY_MIX_230}
    tariff = SimpleNamespace(**V230.module("tariffs").from_wire(wire))
    assert len(V230.module("tariffs").to_wire(tariff)["energy_mix"]["environ_impact"]) == 2
    assert V221.module("tariffs").to_wire(tariff)["energy_mix"]["environ_impact"] == [
        {"category": "CARBON_DIOXIDE", "amount": 120}
    ]
    assert V211.module("tariffs").to_wire(tariff)["energy_mix"]["environ_impact"] == [
        {"source": "CARBON_DIOXIDE", "amount": 120}
    ]


def test_a_location_published_to_emaid_tokens_is_kept_and_2_2_1_gets_the_entries_it_can_name():
    allowed = [{"uid": "NL-TNM-C12345678-X", "type": "EMAID"}, {"uid": "012345678", "type": "RFID"}]
    wire = {**location_230(), "publish": False, "publish_allowed_to": allowed}
    location = materialize(L230.from_wire(wire))
    assert location.publish_allowed_to == allowed
    assert L230.to_wire(location)["publish_allowed_to"] == allowed
    assert L221.to_wire(location)["publish_allowed_to"] == [{"uid": "012345678", "type": "RFID"}]
    with pytest.raises(InvalidParameters, match=r"publish_allowed_to\[0\]\.type"):
        L221.from_wire({**L221.to_wire(location), "publish_allowed_to": allowed})
