from datetime import UTC, datetime, timedelta, timezone

import pytest

from roaming.ocpi.timestamps import format_datetime, parse_datetime


def test_format_is_utc_with_z_and_no_fraction():
    value = datetime(2026, 3, 1, 13, 5, 9, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(value) == "2026-03-01T11:05:09Z"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09.5Z", datetime(2015, 6, 29, 20, 39, 9, 500000, tzinfo=UTC)),
        ("2015-06-29T20:39:09.123456789Z", datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC)),
        ("2015-06-29t20:39:09z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T22:39:09+02:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
    ],
)
def test_parse_accepts_every_form_the_spec_allows(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2015-06-29", "29-06-2015T20:39:09Z", "2015-06-29T20:39Z", "yesterday", "2015-13-01T00:00:00Z"]
)
def test_parse_refuses_what_is_not_a_datetime(text):
    with pytest.raises(ValueError):
        parse_datetime(text)
