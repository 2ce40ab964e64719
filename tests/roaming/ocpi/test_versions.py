"""Reading a partner's versions list and version details leniently (roaming.ocpi.versions)."""

import pytest

from roaming.ocpi.versions import known_version, version_details_document, versions_list_from_wire


@pytest.mark.parametrize(
    "reported, ours",
    [
        ("2.2.1", "2.2.1"),
        ("2.1.1", "2.1.1"),
        ("2.2", "2.2.1"),
        ("2.1", "2.1.1"),
        ("v2.2.1", "2.2.1"),
        ("V2.1", "2.1.1"),
        (" 2.2.1 ", "2.2.1"),
        ("2.0", None),
        ("2", None),
        ("2.2.0", None),
        ("3.0", None),
        ("latest", None),
    ],
)
def test_known_version_maps_loose_spellings_to_ours(reported, ours):
    assert known_version(reported) == ours


def test_a_loose_version_is_keyed_by_ours_and_remembered_as_written():
    theirs = versions_list_from_wire(
        [{"version": "2.2", "url": "https://p/2.2.1"}, {"version": "v2.1.1", "url": " https://p/2.1.1 "}]
    )
    assert theirs.urls == {"2.2.1": "https://p/2.2.1", "2.1.1": "https://p/2.1.1"}
    assert theirs.reported == {"2.2.1": "2.2", "2.1.1": "v2.1.1"}
    assert theirs.describe() == '2.1.1 (reported as "v2.1.1"), 2.2.1 (reported as "2.2")'


@pytest.mark.parametrize("order", [1, -1])
def test_an_exact_entry_wins_over_a_loose_one_for_the_same_version(order):
    entries = [{"version": "2.2", "url": "https://p/old-2.2"}, {"version": "2.2.1", "url": "https://p/2.2.1"}]
    theirs = versions_list_from_wire(entries[::order])
    assert theirs.urls == {"2.2.1": "https://p/2.2.1"} and theirs.reported == {}


def test_versions_we_do_not_know_are_kept_as_written():
    theirs = versions_list_from_wire([{"version": "2.0", "url": "https://p/2.0"}])
    assert theirs.urls == {"2.0": "https://p/2.0"} and "2.0" in theirs and "2.2.1" not in theirs


def test_the_2_1_1_d2_wrapper_a_single_object_and_a_number_are_read():
    assert versions_list_from_wire({"versions": [{"version": "2.1.1", "url": "u"}]}).urls == {"2.1.1": "u"}
    assert versions_list_from_wire({"version": "2.2.1", "url": "u"}).urls == {"2.2.1": "u"}
    assert versions_list_from_wire([{"version": 2.2, "url": "u"}]).urls == {"2.2.1": "u"}


def test_entries_without_a_version_or_url_are_skipped_and_garbage_refused():
    data = [{"version": None, "url": "u"}, {"version": "2.2.1"}, "2.1.1", {"version": "2.1.1", "url": "v", "x": None}]
    assert versions_list_from_wire(data).urls == {"2.1.1": "v"}
    with pytest.raises(ValueError, match="not a list"):
        versions_list_from_wire("<html>")


def test_version_details_are_unwrapped_and_tidied():
    document = version_details_document(
        [{"version": "2.2.1", "endpoints": [{"identifier": " Locations", "role": "sender", "url": " https://p/l "}]}]
    )
    assert document["endpoints"] == [{"identifier": "locations", "role": "SENDER", "url": "https://p/l"}]
    with pytest.raises(ValueError, match="not an object"):
        version_details_document([1, 2])
