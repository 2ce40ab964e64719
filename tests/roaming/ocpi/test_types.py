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
