"""Tariffs translators: every spec example round-trips; property tests within and across versions."""

import copy
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.errors import InvalidParameters
from tests.roaming.locations_helpers import normalized
from tests.spec_examples import example, example_221, examples_211

T221 = get_dialect("2.2.1").module("tariffs")
T211 = get_dialect("2.1.1").module("tariffs")
FULL_221 = [
    "tariff_1_simple_2hour.json",
    "tariff_2_alt_text.json",
    "tariff_3_alt_url.json",
    "tariff_4_complex.json",
    "tariff_5_free_of_charge.json",
    "tariff_6_025kwh_start_max_price.json",
    "tariff_8_simple_025kwh.json",
    "tariff_9_025kwh_start.json",
    "tariff_10_025kwh_parking_start.json",
    "tariff_11_not_possible_alt_text.json",
    "tariff_12_025kwh_min_price.json",
    "tariff_13_simple_3hour_5parking.json",
    "tariff_14_step_size.json",
    "tariff_15_reservation_5_euro_per_hour.json",
    "tariff_16_reservation_2_euro_fee_5_euro_per_hour.json",
    "tariff_17_reservation_with_expire_fee.json",
    "tariff_18_reservation_with_expire_time.json",
    "tariffrestriction_example_max_duration.json",
    "tariffrestriction_example_max_power.json",
]


def obj(internal: dict):
    return SimpleNamespace(**internal)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("name", FULL_221)
def test_2_2_1_and_2_3_0_tariff_examples_round_trip(version, name):
    wire = example(version, name)
    tariffs = get_dialect(version).module("tariffs")
    assert normalized(tariffs.to_wire(obj(tariffs.from_wire(wire)))) == normalized(wire)


@pytest.mark.parametrize(
    "name", ["tariff_19_simple_north_american_exclusive.json", "tariff_20_simple_north_american_inclusive.json"]
)
def test_2_3_0_north_american_tariff_examples_round_trip(name):
    wire = example("2.3.0", name)
    tariffs = get_dialect("2.3.0").module("tariffs")
    assert normalized(tariffs.to_wire(obj(tariffs.from_wire(wire)))) == normalized(wire)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_2_2_1_and_2_3_0_put_examples_without_last_updated_are_refused(version):
    with pytest.raises(InvalidParameters, match="last_updated: required field is missing"):
        get_dialect(version).module("tariffs").from_wire(example(version, "tariff_put_example.json"))


EXAMPLES_211 = examples_211("mod_tariffs")


@pytest.mark.parametrize("index", [2, 3, 4, 5, 6])
def test_2_1_1_tariff_example_round_trips(index):
    wire = EXAMPLES_211[index]["json"]
    internal = T211.from_wire(wire, owner=("NL", "TNM"))
    assert normalized(T211.to_wire(obj(internal))) == normalized(wire)


def test_2_1_1_put_example_without_last_updated_is_refused():
    with pytest.raises(InvalidParameters, match="last_updated"):
        T211.from_wire(EXAMPLES_211[0]["json"], owner=("NL", "TNM"))


def test_2_1_1_elements_only_body_is_a_valid_patch():
    assert T211.patch_from_wire(EXAMPLES_211[1]["json"])["elements"][0]["price_components"]


def test_2_2_1_only_restrictions_and_vat_are_dropped_towards_2_1_1():
    wire = copy.deepcopy(example_221("tariff_16_reservation_2_euro_fee_5_euro_per_hour.json"))
    internal = T221.from_wire(wire)
    out = T211.to_wire(obj(internal))
    assert all("reservation" not in (e.get("restrictions") or {}) for e in out["elements"])
    assert all("vat" not in pc for e in out["elements"] for pc in e["price_components"])
    assert "country_code" not in out and "type" not in out


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
prices = st.decimals(min_value=0, max_value=100, places=3).map(float)
timestamps = st.sampled_from(["2026-01-01T00:00:00Z", "2030-06-30T12:30:00Z"])


def restrictions(version):
    fields = {
        "start_time": st.sampled_from(["08:00", "23:59"]),
        "end_time": st.sampled_from(["00:00", "18:30"]),
        "start_date": st.just("2026-01-01"),
        "end_date": st.just("2027-01-01"),
        "min_kwh": prices,
        "max_kwh": prices,
        "min_power": prices,
        "max_power": prices,
        "min_duration": st.integers(0, 36000),
        "max_duration": st.integers(0, 36000),
        "day_of_week": st.lists(st.sampled_from(["MONDAY", "SATURDAY", "SUNDAY"]), min_size=1, max_size=3, unique=True),
    }
    if version == "2.2.1":
        fields.update(
            min_current=prices, max_current=prices, reservation=st.sampled_from(["RESERVATION", "RESERVATION_EXPIRES"])
        )
    return st.fixed_dictionaries({}, optional=fields).filter(bool)


def components(version):
    optional = {"vat": prices} if version == "2.2.1" else {}
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(["ENERGY", "FLAT", "PARKING_TIME", "TIME"]),
            "price": prices,
            "step_size": st.integers(0, 3600),
        },
        optional=optional,
    )


def elements(version):
    return st.lists(
        st.fixed_dictionaries(
            {"price_components": st.lists(components(version), min_size=1, max_size=3)},
            optional={"restrictions": restrictions(version)},
        ),
        min_size=1,
        max_size=4,
    )


alt_text = st.lists(
    st.fixed_dictionaries(
        {"language": st.just("en"), "text": st.text(min_size=1, max_size=30).filter(str.isprintable)}
    ),
    min_size=1,
    max_size=2,
)
tariffs_221 = st.fixed_dictionaries(
    {
        "country_code": st.just("NL"),
        "party_id": st.just("CPO"),
        "id": st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True),
        "currency": st.sampled_from(["EUR", "GBP"]),
        "elements": elements("2.2.1"),
        "last_updated": timestamps,
    },
    optional={
        "type": st.sampled_from(["REGULAR", "AD_HOC_PAYMENT"]),
        "tariff_alt_text": alt_text,
        "tariff_alt_url": st.just("https://tariffs.example.com/a"),
        "min_price": st.fixed_dictionaries({"excl_vat": prices}, optional={"incl_vat": prices}),
        "max_price": st.fixed_dictionaries({"excl_vat": prices}, optional={"incl_vat": prices}),
        "start_date_time": timestamps,
        "end_date_time": timestamps,
    },
)
tariffs_211 = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True),
        "currency": st.sampled_from(["EUR", "GBP"]),
        "elements": elements("2.1.1"),
        "last_updated": timestamps,
    },
    optional={"tariff_alt_text": alt_text, "tariff_alt_url": st.just("https://tariffs.example.com/a")},
)


@PROPERTY
@given(tariffs_221)
def test_2_2_1_tariff_survives_wire_internal_wire(wire):
    assert T221.to_wire(obj(T221.from_wire(wire))) == normalized(wire)


@PROPERTY
@given(tariffs_211)
def test_2_1_1_tariff_survives_wire_internal_wire(wire):
    assert T211.to_wire(obj(T211.from_wire(wire, owner=("NL", "CPO")))) == normalized(wire)


@PROPERTY
@given(tariffs_221)
def test_2_2_1_to_2_1_1_loses_only_what_the_guide_lists(wire):
    internal = T221.from_wire(wire)
    out = T211.to_wire(obj(internal))
    kept = [
        e
        for e in internal["elements"]
        if not any(k in (e.get("restrictions") or {}) for k in ("min_current", "max_current", "reservation"))
    ]
    if not kept:
        assert out is None
        return
    back = T211.from_wire(out, owner=("NL", "CPO"))
    expected = dict(
        internal,
        type="",
        min_price=None,
        max_price=None,
        start_date_time=None,
        end_date_time=None,
        elements=[
            {**e, "price_components": [{k: v for k, v in pc.items() if k != "vat"} for pc in e["price_components"]]}
            for e in kept
        ],
    )
    assert back == expected
