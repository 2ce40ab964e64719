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
    "text, expected",
    [
        # fractions of any length, cut to the microsecond a datetime keeps
        ("2015-06-29T20:39:09.123456789012Z", datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC)),
        ("2015-06-29T20:39:09." + "9" * 40, datetime(2015, 6, 29, 20, 39, 9, 999999, tzinfo=UTC)),
        ("2015-06-29T20:39:09.1", datetime(2015, 6, 29, 20, 39, 9, 100000, tzinfo=UTC)),
        # no zone: UTC; offsets with or without a colon converted
        ("2015-06-29T20:39:09.25", datetime(2015, 6, 29, 20, 39, 9, 250000, tzinfo=UTC)),
        ("2015-06-29T15:39:09-0500", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-30T00:09:09.5+03:30", datetime(2015, 6, 29, 20, 39, 9, 500000, tzinfo=UTC)),
        ("2015-06-29T20:39:09-00:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        # lowercase designators (RFC 3339 5.6)
        ("2015-06-29t20:39:09.123z", datetime(2015, 6, 29, 20, 39, 9, 123000, tzinfo=UTC)),
        ("2015-06-29t22:39:09+02:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
    ],
)
def test_parse_reads_leniently_what_partners_send(text, expected):
    parsed = parse_datetime(text)
    assert parsed == expected and parsed.tzinfo is UTC
    assert format_datetime(parsed) == expected.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2015-06-29",
        "29-06-2015T20:39:09Z",
        "2015-06-29T20:39Z",
        "yesterday",
        "2015-13-01T00:00:00Z",
        "2015-06-29T20:39:09.Z",
        "2015-06-29T20:39:09Z\n",
        "2015-06-29T20:39:09+25:00",
        "2015-06-29T20:39:09ZZ",
    ],
)
def test_parse_refuses_what_is_not_a_datetime(text):
    with pytest.raises(ValueError):
        parse_datetime(text)
