import base64

import pytest

from roaming.ocpi import status
from roaming.ocpi.dialects import all_dialects, get_dialect


def test_every_version_is_discovered_newest_first():
    assert [d.version for d in all_dialects()] == ["2.3.0", "2.2.1", "2.1.1"]


def test_unknown_version_has_no_dialect():
    assert get_dialect("2.0") is None


def test_2_1_1_maps_codes_it_does_not_know_to_the_generic_ones():
    v211 = get_dialect("2.1.1")
    assert v211.status_code(status.UNKNOWN_TOKEN) == status.CLIENT_ERROR
    assert v211.status_code(status.HUB_UNKNOWN_RECEIVER) == status.SERVER_ERROR
    assert v211.status_code(status.INVALID_PARAMETERS) == status.INVALID_PARAMETERS
    assert v211.status_code(status.UNABLE_TO_USE_CLIENT_API) == status.UNABLE_TO_USE_CLIENT_API


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_2_2_1_and_2_3_0_keep_every_code(version):
    dialect = get_dialect(version)
    for code in (status.UNKNOWN_TOKEN, status.HUB_UNKNOWN_RECEIVER, status.HUB_TIMEOUT):
        assert dialect.status_code(code) == code


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_token_is_sent_base64_from_2_2_1_on_and_raw_in_2_1_1(version):
    # Base64 of 'example-token' without the trailing newline the spec's worked example has.
    assert get_dialect(version).encode_token("example-token") == "Token ZXhhbXBsZS10b2tlbg=="
    assert get_dialect("2.1.1").encode_token("example-token") == "Token example-token"


def test_partner_profile_overrides_the_token_form():
    assert get_dialect("2.2.1").encode_token("abc", form="RAW") == "Token abc"
    expected = "Token " + base64.b64encode(b"abc").decode()
    assert get_dialect("2.1.1").encode_token("abc", form="BASE64") == expected


def test_2_1_1_knows_only_cpo_and_emsp_roles():
    assert get_dialect("2.1.1").supports_role("CPO")
    assert not get_dialect("2.1.1").supports_role("HUB")
    assert get_dialect("2.2.1").supports_role("HUB")
