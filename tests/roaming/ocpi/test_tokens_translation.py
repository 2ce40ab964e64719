"""Tokens translators: every spec example validates and round-trips; properties within and across versions."""

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roaming.ocpi.dialects import get_dialect
from tests.roaming.locations_helpers import normalized
from tests.spec_examples import example, examples_211

T221 = get_dialect("2.2.1").module("tokens")
T211 = get_dialect("2.1.1").module("tokens")


@pytest.mark.parametrize(
    "name", ["token_example_1_app_user.json", "token_example_2_full_rfid.json", "token_put_example.json"]
)
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_2_2_1_and_2_3_0_token_examples_round_trip(version, name):
    wire = example(version, name)
    tokens = get_dialect(version).module("tokens")
    assert tokens.to_wire(SimpleNamespace(**tokens.from_wire(wire))) == normalized(wire)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_2_2_1_and_2_3_0_patch_examples_validate(version):
    tokens = get_dialect(version).module("tokens")
    assert tokens.patch_from_wire(example(version, "token_patch_example.json"))["valid"] is False


@pytest.mark.parametrize("index", [0, 2])
def test_2_1_1_token_example_round_trips(index):
    wire = examples_211("mod_tokens")[index]["json"]
    internal = T211.from_wire(wire, owner=("NL", "TNM"))
    assert internal["contract_id"] == wire["auth_id"]
    assert T211.to_wire(SimpleNamespace(**internal)) == wire


def test_2_1_1_patch_example_validates():
    assert T211.patch_from_wire(examples_211("mod_tokens")[1]["json"]) == {"valid": False}


tokens_221 = st.fixed_dictionaries(
    {
        "country_code": st.just("DE"),
        "party_id": st.just("EMS"),
        "uid": st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True),
        "type": st.sampled_from(["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]),
        "contract_id": st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True),
        "issuer": st.just("Drive Co"),
        "valid": st.booleans(),
        "whitelist": st.sampled_from(["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]),
        "last_updated": st.just("2026-01-01T00:00:00Z"),
    },
    optional={
        "visual_number": st.just("DF-1"),
        "group_id": st.just("G1"),
        "language": st.just("nl"),
        "default_profile_type": st.sampled_from(["CHEAP", "GREEN"]),
        "energy_contract": st.fixed_dictionaries(
            {"supplier_name": st.just("Green Co")}, optional={"contract_id": st.just("E1")}
        ),
    },
)


@settings(max_examples=60, deadline=None)
@given(tokens_221)
def test_2_2_1_token_survives_and_2_1_1_loses_only_the_listed_fields(wire):
    internal = T221.from_wire(wire)
    assert T221.to_wire(SimpleNamespace(**internal)) == wire
    back = T211.from_wire(T211.to_wire(SimpleNamespace(**internal)), owner=("DE", "EMS"))
    expected = dict(
        internal,
        group_id="",
        default_profile_type="",
        energy_contract=None,
        type=internal["type"] if internal["type"] in ("OTHER", "RFID") else "OTHER",
    )
    assert back == expected
