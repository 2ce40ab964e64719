import pytest

from roaming.ocpi.errors import InvalidParameters
from roaming.ocpi.types import (
    CiString,
    DateTime,
    DisplayText,
    GeoLocation,
    String,
    WireModel,
    validate,
    validate_partial,
)


class Sample(WireModel):
    id: CiString(36)
    name: String(5) | None = None
    last_updated: DateTime
    coordinates: GeoLocation
    directions: list[DisplayText] = []


VALID = {
    "id": "LOC1",
    "last_updated": "2026-01-01T00:00:00Z",
    "coordinates": {"latitude": "51.047599", "longitude": "3.729944"},
}


def test_valid_object_parses_and_ignores_unknown_fields():
    parsed = validate(Sample, {**VALID, "future_field": 1})
    assert parsed.id == "LOC1"
    assert parsed.last_updated.isoformat() == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "change, path",
    [
        ({"id": "x" * 37}, "id"),
        ({"name": "toolong"}, "name"),
        ({"name": 5}, "name"),
        ({"last_updated": "yesterday"}, "last_updated"),
        ({"coordinates": {"latitude": "51.0", "longitude": "3.729944"}}, "coordinates.latitude"),
        ({"directions": [{"language": "en"}]}, "directions[0].text"),
        ({"name": "a\nb"}, "name"),
    ],
)
def test_violation_is_2001_naming_the_field_path(change, path):
    with pytest.raises(InvalidParameters) as caught:
        validate(Sample, {**VALID, **change})
    assert caught.value.status_code == 2001
    assert caught.value.message.startswith(f"{path}:")


def test_missing_required_field_is_named():
    data = dict(VALID)
    del data["last_updated"]
    with pytest.raises(InvalidParameters, match="last_updated: required field is missing"):
        validate(Sample, data)


def test_partial_returns_only_present_fields():
    assert validate_partial(Sample, {"name": "abc", "last_updated": "2026-01-01T00:00:00Z"}).keys() == {
        "name",
        "last_updated",
    }


def test_partial_refuses_null_for_a_required_field():
    with pytest.raises(InvalidParameters, match="id: may not be null"):
        validate_partial(Sample, {"id": None})


def test_partial_enforces_its_own_required_fields():
    with pytest.raises(InvalidParameters, match="last_updated: required field is missing"):
        validate_partial(Sample, {"name": "abc"}, required=("last_updated",))


class Outer(WireModel):
    id: CiString(36)
    inner: Sample | None = None
    samples: list[Sample] = []


def test_null_in_an_optional_field_reads_as_the_field_left_out():
    parsed = validate(Sample, {**VALID, "name": None, "directions": None})
    assert (parsed.name, parsed.directions) == (None, [])
    assert parsed.model_dump() == validate(Sample, VALID).model_dump()


def test_null_is_read_as_left_out_inside_nested_objects_and_lists():
    nested = {**VALID, "directions": None, "name": None}
    parsed = validate(Outer, {"id": "X", "inner": nested, "samples": [nested, {**VALID, "directions": []}]})
    assert parsed.inner.directions == [] and [s.directions for s in parsed.samples] == [[], []]
    assert validate(Outer, {"id": "X", "inner": None, "samples": None}).model_dump() == {
        "id": "X",
        "inner": None,
        "samples": [],
    }


@pytest.mark.parametrize(
    "body, message",
    [
        ({**VALID, "id": None}, "id: may not be null"),
        ({**VALID, "coordinates": None}, "coordinates: may not be null"),
        (
            {**VALID, "coordinates": {"latitude": None, "longitude": "3.729944"}},
            "coordinates.latitude: may not be null",
        ),
    ],
)
def test_a_required_field_sent_as_null_is_2001_naming_it(body, message):
    with pytest.raises(InvalidParameters) as caught:
        validate(Sample, body)
    assert (caught.value.status_code, caught.value.message) == (2001, message)


def test_a_null_deep_in_a_list_names_its_path():
    with pytest.raises(InvalidParameters, match=r"^samples\[1\]\.last_updated: may not be null$"):
        validate(Outer, {"id": "X", "samples": [VALID, {**VALID, "last_updated": None}]})


def test_partial_leaves_an_optional_field_sent_as_null_unchanged():
    """transport_and_format PATCH: fields left out remain unchanged; null reads as left out."""
    assert validate_partial(Sample, {"name": None, "directions": None, "last_updated": "2026-01-01T00:00:00Z"}) == {
        "last_updated": validate(Sample, VALID).last_updated
    }


def test_partial_refuses_null_for_its_own_required_field_naming_it():
    with pytest.raises(InvalidParameters, match="^last_updated: may not be null$"):
        validate_partial(Sample, {"name": "abc", "last_updated": None}, required=("last_updated",))


def test_partial_reads_nulls_inside_a_nested_object_as_left_out():
    assert validate_partial(Outer, {"inner": {**VALID, "name": None}})["inner"].name is None
    with pytest.raises(InvalidParameters, match=r"^inner\.id: may not be null$"):
        validate_partial(Outer, {"inner": {**VALID, "id": None}})
