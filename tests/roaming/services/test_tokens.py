"""The tokens services called directly: PUT and PATCH of a token, finding one, and real-time authorization."""

from datetime import UTC, datetime

import pytest

from roaming.errors import NotEnoughInformation, StaleWrite, UnknownToken
from roaming.models import Token
from roaming.ocpi.dialects import get_dialect
from roaming.services import tokens
from tests.bodies import TOKEN
from tests.factories import own_token

V221 = get_dialect("2.2.1")
OWNER = {"country_code": "DE", "party_id": "EMS"}
UID = TOKEN["uid"]
LOCATION = {"location_id": "LOC1", "evse_uids": ["3256"]}


def put(tenant, token_type: str = "RFID", **changes) -> tokens.Change:
    data = V221.module("tokens").from_wire({**TOKEN, "type": token_type, **changes})
    return tokens.put_token(tenant=tenant, partner=None, **OWNER, uid=UID, token_type=token_type, data=data)


def test_a_put_creates_then_replaces_a_token(emsp_tenant):
    first = put(emsp_tenant)
    second = put(emsp_tenant, valid=False, last_updated="2030-01-01T00:00:00Z")

    assert (first.created, first.object_path, second.created) == (True, f"DE/EMS/{UID}", False)
    stored = Token.objects.get()
    assert (stored.uid, stored.type, stored.valid) == (UID, "RFID", False)


def test_find_without_a_type_takes_the_rfid_token_of_the_uid(emsp_tenant):
    put(emsp_tenant, "APP_USER")
    put(emsp_tenant, "RFID")
    owned = tokens.owned_by(tenant=emsp_tenant, **OWNER)

    assert tokens.find(owned, uid=UID.upper(), token_type=None).type == "RFID"
    assert tokens.find(owned, uid=UID, token_type="APP_USER").type == "APP_USER"
    with pytest.raises(UnknownToken) as raised:
        tokens.find(owned, uid="NOPE", token_type="RFID")
    assert raised.value.message == "Unknown token RFID 'NOPE'"


def test_a_patch_changes_the_token_unless_it_is_older_than_what_is_stored(emsp_tenant):
    own_token(emsp_tenant)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    target = {"tenant": emsp_tenant, "partner": None, **OWNER, "uid": UID, "token_type": "RFID"}

    tokens.patch_token(**target, fields={"valid": False, "last_updated": later})
    with pytest.raises(StaleWrite):
        tokens.patch_token(**target, fields={"valid": True, "last_updated": datetime(2001, 1, 1, tzinfo=UTC)})

    stored = Token.objects.get()
    assert (stored.valid, stored.last_updated) == (False, later)


def test_a_valid_token_is_allowed_with_a_fresh_reference_and_an_invalid_one_blocked(emsp_tenant):
    own_token(emsp_tenant)

    allowed = tokens.authorize(tenant=emsp_tenant, uid=UID.lower(), token_type="RFID", location=LOCATION)
    Token.objects.update(valid=False)
    blocked = tokens.authorize(tenant=emsp_tenant, uid=UID, token_type="RFID", location=LOCATION)

    assert (allowed.allowed, allowed.token.uid, allowed.location) == ("ALLOWED", UID, LOCATION)
    assert len(allowed.authorization_reference) == 32
    assert (blocked.allowed, blocked.authorization_reference) == ("BLOCKED", "")


def test_authorizing_an_unknown_token_names_it(emsp_tenant):
    with pytest.raises(UnknownToken) as raised:
        tokens.authorize(tenant=emsp_tenant, uid="NOPE", token_type="RFID", location=LOCATION)
    assert raised.value.message == "Unknown token RFID 'NOPE'"


def test_a_tenant_that_requires_location_references_lacks_information_without_them(emsp_tenant, settings):
    own_token(emsp_tenant)
    settings.TOKEN_AUTHORIZATION_REQUIRES_LOCATION = True

    with pytest.raises(NotEnoughInformation) as raised:
        tokens.authorize(tenant=emsp_tenant, uid=UID, token_type="RFID", location=None)
    assert raised.value.message == "LocationReferences are required to authorize this token"
