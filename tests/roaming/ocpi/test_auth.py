import base64

from roaming.ocpi.auth import token_candidates


def test_raw_token_is_the_only_candidate_when_it_is_not_base64():
    assert [c.value for c in token_candidates("Token abc-def_!", prefer_base64=True)] == ["abc-def_!"]


def test_base64_header_yields_decoded_first_when_the_dialect_prefers_it():
    encoded = base64.b64encode(b"secret-token").decode()
    candidates = token_candidates(f"Token {encoded}", prefer_base64=True)
    assert [(c.value, c.base64) for c in candidates] == [("secret-token", True), (encoded, False)]


def test_raw_first_when_the_dialect_sends_raw():
    encoded = base64.b64encode(b"secret-token").decode()
    assert token_candidates(f"Token {encoded}", prefer_base64=False)[0].value == encoded


def test_scheme_is_case_insensitive_and_other_schemes_yield_nothing():
    assert token_candidates("token abc", prefer_base64=False)[0].value == "abc"
    assert token_candidates("Bearer abc", prefer_base64=False) == []
    assert token_candidates("Token ", prefer_base64=False) == []
