"""Property tests of the Locations translators: lossless within a version, lossy across only as documented."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.v2_1_1 import locations as v211
from roaming.ocpi.v2_2_1 import locations as v221
from tests.roaming.locations_helpers import materialize, normalized

L221 = get_dialect("2.2.1").module("locations")
L211 = get_dialect("2.1.1").module("locations")
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ids = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"), min_size=1, max_size=36)
texts = lambda n: st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=n)  # noqa: E731
timestamps = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
)
numbers = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False).map(float)


def coordinate(limit: int, max_length: int, decimals) -> st.SearchStrategy:
    return st.builds(
        lambda sign, whole, places, frac: f"{sign}{whole}.{str(frac).zfill(places)[:places]}",
        st.sampled_from(["", "-"]),
        st.integers(0, limit - 1),
        decimals,
        st.integers(0, 9_999_999),
    ).filter(lambda text: len(text) <= max_length)


def geo(decimals):
    return st.fixed_dictionaries({"latitude": coordinate(90, 10, decimals), "longitude": coordinate(180, 11, decimals)})


def optional(strategy):
    return st.one_of(st.none(), strategy)


def build(required: dict, optional_fields: dict):
    """A dict strategy with `required` keys always and each optional key sometimes (never as null)."""
    return st.fixed_dictionaries(required, optional=optional_fields)


display_texts = st.lists(
    st.fixed_dictionaries(
        {"language": st.sampled_from(["en", "nl", "de"]), "text": st.text(max_size=40).filter(str.isprintable)}
    ),
    max_size=2,
)
images = st.lists(
    build(
        {
            "url": st.just("https://img.example.com/a.png"),
            "category": st.sampled_from(["CHARGER", "LOCATION", "OPERATOR"]),
            "type": st.sampled_from(["png", "jpeg"]),
        },
        {"width": st.integers(1, 9999), "height": st.integers(1, 9999)},
    ),
    max_size=2,
)
business = build({"name": texts(30).filter(bool)}, {"website": st.just("https://example.com")})
regular_hours = st.lists(
    st.fixed_dictionaries(
        {
            "weekday": st.integers(1, 7),
            "period_begin": st.sampled_from(["08:00", "09:30"]),
            "period_end": st.sampled_from(["18:00", "23:59"]),
        }
    ),
    min_size=1,
    max_size=3,
)
periods = st.lists(st.fixed_dictionaries({"period_begin": timestamps, "period_end": timestamps}), max_size=2)


def connectors(version):
    common = {"id": ids, "format": st.sampled_from(["SOCKET", "CABLE"]), "last_updated": timestamps}
    if version == "2.2.1":
        return build(
            {
                **common,
                "standard": st.sampled_from(v221.ConnectorType.__args__),
                "power_type": st.sampled_from(v221.PowerType.__args__),
                "max_voltage": st.integers(0, 1000),
                "max_amperage": st.integers(0, 500),
            },
            {
                "max_electric_power": st.integers(0, 350000),
                "tariff_ids": st.lists(ids, max_size=3),
                "terms_and_conditions": st.just("https://example.com/terms"),
            },
        )
    return build(
        {
            **common,
            "standard": st.sampled_from(v211.CONNECTOR_TYPES),
            "power_type": st.sampled_from(v211.POWER_TYPES),
            "voltage": st.integers(0, 1000),
            "amperage": st.integers(0, 500),
        },
        {"tariff_id": ids, "terms_and_conditions": st.just("https://example.com/terms")},
    )


def evses(version):
    capabilities = v221.Capability.__args__ if version == "2.2.1" else v211.CAPABILITIES
    decimals = st.integers(5, 7) if version == "2.2.1" else st.just(6)
    return build(
        {
            "uid": ids,
            "status": st.sampled_from(["AVAILABLE", "CHARGING", "REMOVED"]),
            "connectors": st.lists(connectors(version), min_size=1, max_size=3, unique_by=lambda c: c["id"].upper()),
            "last_updated": timestamps,
        },
        {
            "evse_id": st.just("NL*CPO*E12345"),
            "capabilities": st.lists(st.sampled_from(capabilities), max_size=3, unique=True),
            "floor_level": st.just("-1"),
            "coordinates": geo(decimals),
            "physical_reference": st.just("A1"),
            "directions": display_texts,
            "parking_restrictions": st.lists(st.sampled_from(["EV_ONLY", "PLUGGED"]), max_size=2, unique=True),
            "images": images,
        },
    )


energy_mix_221 = build(
    {"is_green_energy": st.booleans()},
    {
        "energy_sources": st.lists(
            st.fixed_dictionaries({"source": st.sampled_from(["SOLAR", "WIND", "COAL"]), "percentage": numbers}),
            max_size=2,
        ),
        "environ_impact": st.lists(
            st.fixed_dictionaries(
                {"category": st.sampled_from(["NUCLEAR_WASTE", "CARBON_DIOXIDE"]), "amount": numbers}
            ),
            max_size=2,
        ),
        "supplier_name": texts(20),
    },
)

hours_221 = st.one_of(
    build({"twentyfourseven": st.just(True)}, {"exceptional_closings": periods}),
    build({"twentyfourseven": st.just(False), "regular_hours": regular_hours}, {"exceptional_openings": periods}),
)
hours_211 = st.one_of(
    build({"twentyfourseven": st.just(True)}, {"exceptional_closings": periods}),
    build({"regular_hours": regular_hours}, {"twentyfourseven": st.just(False), "exceptional_openings": periods}),
)
energy_mix_211 = energy_mix_221.map(
    lambda mix: {
        **mix,
        **(
            {"environ_impact": [{"source": e["category"], "amount": e["amount"]} for e in mix["environ_impact"]]}
            if "environ_impact" in mix
            else {}
        ),
    }
)

common_location = {
    "address": texts(45).filter(bool),
    "city": texts(45).filter(bool),
    "country": st.sampled_from(["NLD", "BEL", "DEU"]),
    "last_updated": timestamps,
}
common_optional = {
    "name": texts(60),
    "directions": display_texts,
    "operator": business,
    "owner": business,
    "charging_when_closed": st.booleans(),
    "images": images,
}

locations_221 = build(
    {
        **common_location,
        "country_code": st.just("NL"),
        "party_id": st.just("CPO"),
        "id": ids,
        "publish": st.just(True),
        "coordinates": geo(st.integers(5, 7)),
        "time_zone": st.sampled_from(["Europe/Amsterdam", "Europe/Brussels"]),
        "address": texts(255).filter(bool),
    },
    {
        **common_optional,
        "postal_code": texts(10),
        "state": texts(45),
        "parking_type": st.sampled_from(v221.ParkingType.__args__),
        "evses": st.lists(evses("2.2.1"), max_size=3, unique_by=lambda e: e["uid"].upper()),
        "facilities": st.lists(st.sampled_from(v221.Facility.__args__), max_size=3, unique=True),
        "opening_times": hours_221,
        "energy_mix": energy_mix_221,
        "related_locations": st.lists(geo(st.integers(5, 7)), max_size=2),
    },
)

locations_211 = build(
    {
        **common_location,
        "id": st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"), min_size=1, max_size=39
        ),
        "type": st.sampled_from(v211.LOCATION_TYPES),
        "postal_code": st.one_of(st.just(""), texts(10)),
        "coordinates": geo(st.just(6)),
    },
    {
        **common_optional,
        "time_zone": st.sampled_from(["Europe/Amsterdam"]),
        "evses": st.lists(evses("2.1.1"), max_size=3, unique_by=lambda e: e["uid"].upper()),
        "facilities": st.lists(st.sampled_from(v211.FACILITIES), max_size=3, unique=True),
        "opening_times": hours_211,
        "energy_mix": energy_mix_211,
        "related_locations": st.lists(geo(st.just(6)), max_size=2),
    },
)


@PROPERTY
@given(locations_221)
def test_2_2_1_location_survives_wire_internal_wire(wire):
    assert L221.to_wire(materialize(L221.from_wire(wire))) == normalized(wire)


@PROPERTY
@given(locations_211)
def test_2_1_1_location_survives_wire_internal_wire(wire):
    internal = L211.from_wire(wire, owner=("NL", "CPO"))
    assert L211.to_wire(materialize(internal)) == normalized(wire)


def six(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN))


def expected_after_211(internal: dict) -> dict:
    """What VERSION-DIFFERENCES 15.1 says survives 2.2.1 -> 2.1.1 -> back, and nothing else lost."""
    out = dict(internal, publish=True, publish_allowed_to=[], state="", address=internal["address"][:45])
    if internal["parking_type"] in v211.PARKING_TYPES:
        out["location_type"] = ""
    elif internal["parking_type"]:
        out["parking_type"], out["location_type"] = "", "OTHER"
    else:
        out["location_type"] = "UNKNOWN"
    out["latitude"], out["longitude"] = six(internal["latitude"]), six(internal["longitude"])
    out["related_locations"] = [
        {**r, "latitude": six(r["latitude"]), "longitude": six(r["longitude"])} for r in internal["related_locations"]
    ]
    out["facilities"] = [f for f in internal["facilities"] if f in v211.FACILITIES]
    evses = []
    for evse in internal["evses"]:
        connectors = []
        for connector in evse["connectors"]:
            if connector["standard"] not in v211.CONNECTOR_TYPES:
                continue
            connectors.append(
                dict(
                    connector,
                    max_electric_power=None,
                    tariff_ids=connector["tariff_ids"][:1],
                    power_type=connector["power_type"] if connector["power_type"] in v211.POWER_TYPES else "AC_1_PHASE",
                )
            )
        if connectors:
            evses.append(
                dict(
                    evse,
                    connectors=connectors,
                    capabilities=[c for c in evse["capabilities"] if c in v211.CAPABILITIES],
                    latitude=six(evse["latitude"]) if evse["latitude"] else "",
                    longitude=six(evse["longitude"]) if evse["longitude"] else "",
                )
            )
    out["evses"] = evses
    out.pop("opening_times_211", None)
    return out


@PROPERTY
@given(locations_221)
def test_2_2_1_to_2_1_1_loses_only_what_the_guide_lists(wire):
    internal = L221.from_wire(wire)
    back = L211.from_wire(L211.to_wire(materialize(internal)), owner=("NL", "CPO"))
    back.pop("opening_times_211", None)
    for evse in back["evses"]:
        for connector in evse["connectors"]:
            connector.setdefault("max_electric_power", None)
    assert back == expected_after_211(internal)
