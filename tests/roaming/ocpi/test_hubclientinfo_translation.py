"""2.2.1 ClientInfo on the wire: the spec's example round-trips; 2.1.1 has no such module."""

from types import SimpleNamespace

import pytest

from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import InvalidParameters

# mod_hub_client_info "put a new ClientInfo object", with the last_updated the object requires.
EXAMPLE = {
    "country_code": "NL",
    "party_id": "ALL",
    "role": "CPO",
    "status": "PLANNED",
    "last_updated": "2019-01-28T12:00:00Z",
}


def test_the_spec_example_round_trips():
    translator = get_dialect("2.2.1").module("hubclientinfo")
    internal = translator.from_wire(EXAMPLE)
    assert (internal["country_code"], internal["party_id"], internal["role"], internal["status"]) == (
        "NL",
        "ALL",
        "CPO",
        "PLANNED",
    )
    assert translator.to_wire(SimpleNamespace(**internal)) == EXAMPLE


def test_party_ids_are_case_insensitive_and_kept_upper_case():
    internal = get_dialect("2.2.1").module("hubclientinfo").from_wire({**EXAMPLE, "party_id": "all"})
    assert internal["party_id"] == "ALL"


def test_a_missing_last_updated_is_2001_naming_it():
    with pytest.raises(InvalidParameters, match="last_updated: required field is missing"):
        get_dialect("2.2.1").module("hubclientinfo").from_wire(
            {k: v for k, v in EXAMPLE.items() if k != "last_updated"}
        )


def test_only_2_2_1_has_hub_client_info():
    assert get_dialect("2.2.1").has_module("hubclientinfo")
    assert not get_dialect("2.1.1").has_module("hubclientinfo")
