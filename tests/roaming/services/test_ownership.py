"""The ownership service called directly: who a partner may write for, whose objects it sends, and which writes
are refused before anything is stored."""

from datetime import UTC, datetime

import pytest

from roaming.errors import Invalid, NotYours, StaleWrite
from roaming.ocpi.dialects import get_dialect
from roaming.ocpi.headers import PartyRef
from roaming.services import ownership
from tests.bodies import CDR
from tests.factories import make_partner

V211, V221 = get_dialect("2.1.1"), get_dialect("2.2.1")


def no_sender() -> PartyRef | None:
    return None


def test_a_partner_writes_under_its_own_parties_whatever_their_case(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")

    assert ownership.check_owner(partner, country_code="de", party_id="ems", sender=no_sender) is None
    assert ownership.partner_owns(partner, "De", "Ems") is True


def test_writing_under_another_party_is_not_yours_and_names_the_party(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")
    make_partner(cpo_tenant, "FR:XYZ:EMSP")  # another partner's party

    with pytest.raises(NotYours) as raised:
        ownership.check_owner(partner, country_code="FR", party_id="XYZ", sender=no_sender)
    assert raised.value.message == "Party FR*XYZ is not one of this partner's parties"
    assert ownership.partner_owns(partner, "FR", "XYZ") is False


def test_an_owner_check_with_the_parties_read_beforehand_runs_no_query(cpo_tenant, django_assert_num_queries):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")
    read = [("DE", "EMS", "EMSP", True)]  # as authentication's statement reads them

    with django_assert_num_queries(0):
        ownership.check_owner(partner, country_code="DE", party_id="EMS", sender=no_sender, parties=read)
    with django_assert_num_queries(0), pytest.raises(NotYours):
        ownership.check_owner(partner, country_code="DE", party_id="EMS", sender=no_sender, parties=[])


def test_ids_in_the_body_must_be_the_urls_and_the_refusal_names_the_field():
    ownership.check_ids({"uid": ("abc", "ABC"), "id": (None, "X")})  # case-insensitive; absent is fine

    with pytest.raises(Invalid) as raised:
        ownership.check_ids({"uid": ("abc", "abd")})
    assert (raised.value.field, raised.value.message) == ("uid", "uid: 'abc' in the body differs from 'abd' in the URL")


def test_a_2_1_1_object_belongs_to_the_partners_party_of_the_role_and_a_2_2_1_one_to_whom_it_names(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "NL:CPA:CPO", "NL:CPB:CPO", "DE:EMS:EMSP")
    kwargs = {"partner": partner, "wire": CDR, "role": "CPO", "what": "CDRs"}

    assert ownership.sender_owner(translator=V211.module("cdrs"), **kwargs) == ("NL", "CPA")
    assert ownership.sender_owner(translator=V221.module("cdrs"), **kwargs) == ("NL", "CPO")


def test_a_2_1_1_object_of_a_partner_without_a_party_of_the_role_is_invalid(cpo_tenant):
    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP")

    with pytest.raises(Invalid) as raised:
        ownership.sender_owner(partner=partner, translator=V211.module("cdrs"), wire=CDR, role="CPO", what="CDRs")
    assert raised.value.message == "The partner has no CPO party to own its CDRs"


def test_a_pulled_object_of_a_party_the_partner_does_not_speak_for_is_invalid(emsp_tenant):
    partner, _ = make_partner(emsp_tenant, "NL:CPA:CPO")

    assert ownership.pull_owner(partner=partner, translator=V211.module("cdrs"), wire=CDR) == ("NL", "CPA")
    with pytest.raises(Invalid) as raised:
        ownership.pull_owner(partner=partner, translator=V221.module("cdrs"), wire=CDR)  # names NL*CPO
    assert raised.value.message == "Object of NL*CPO, which is not one of the partner's parties"


def test_a_write_older_than_the_stored_object_is_stale_and_the_same_moment_is_not():
    stored = datetime(2026, 1, 1, tzinfo=UTC)

    ownership.refuse_stale(stored, stored, "token X")
    ownership.refuse_stale(None, stored, "token X")
    with pytest.raises(StaleWrite) as raised:
        ownership.refuse_stale(stored, datetime(2025, 1, 1, tzinfo=UTC), "token X", object_path="DE/EMS/X")
    assert raised.value.object_path == "DE/EMS/X"
    assert raised.value.message == "Not applied: token X is stored with a newer last_updated (2026-01-01T00:00:00Z)"
