"""The token lookup every request makes: the same objects the ORM would load, and only live ones."""

from django.utils import timezone

from partners.models import AccessToken, Tenant, hash_token
from partners.selectors import live_tokens
from tests.factories import make_partner


def values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_loads_token_partner_and_tenant_as_the_orm_does(cpo_tenant):
    partner, raw = make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", strict_token_form=True)
    partner.registered_at = timezone.now()
    partner.save()
    [found] = live_tokens(tenant_slug="cpo", token_hashes=[hash_token(raw), hash_token("other")])
    expected = AccessToken.objects.select_related("partner", "tenant").get(token_hash=hash_token(raw))
    assert values(found) == values(expected)
    assert values(found.partner) == values(expected.partner)
    assert values(found.tenant) == values(expected.tenant)
    assert found.partner.registered_at.tzinfo is not None


def test_only_unrevoked_tokens_of_the_named_active_tenant(cpo_tenant, emsp_tenant):
    _, revoked = make_partner(cpo_tenant, name="revoked")
    AccessToken.objects.filter(token_hash=hash_token(revoked)).update(revoked_at=timezone.now())
    _, elsewhere = make_partner(emsp_tenant, name="elsewhere")
    _, live = make_partner(cpo_tenant, name="live")
    hashes = [hash_token(t) for t in (revoked, elsewhere, live)]
    assert [t.partner.name for t in live_tokens(tenant_slug="cpo", token_hashes=hashes)] == ["live"]
    Tenant.objects.filter(slug="cpo").update(is_active=False)
    assert live_tokens(tenant_slug="cpo", token_hashes=hashes) == []
    assert live_tokens(tenant_slug="cpo", token_hashes=[]) == []


def test_a_partner_speaks_only_for_its_own_parties_whatever_their_case(cpo_tenant, emsp_tenant):
    from partners.selectors import speaks_for

    partner, _ = make_partner(cpo_tenant, "DE:EMS:EMSP", "DE:EM2:EMSP", name="emsp")
    other, _ = make_partner(cpo_tenant, "FR:OTH:EMSP", name="other")
    elsewhere, _ = make_partner(emsp_tenant, "NL:CPO:CPO", name="elsewhere")
    assert speaks_for(partner=partner, country_code="de", party_id="em2")
    assert not speaks_for(partner=partner, country_code="FR", party_id="OTH")
    assert speaks_for(partner=other, country_code="FR", party_id="OTH")
    assert not speaks_for(partner=elsewhere, country_code="DE", party_id="EMS")


def test_owner_and_hub_parties_name_the_owner_and_the_hubs_and_whether_the_addressee_is_ours(cpo_tenant):
    from partners.selectors import owner_and_hub_parties

    hub, _ = make_partner(cpo_tenant, "NL:HUB:HUB", "de:ems:EMSP", "FR:OTH:EMSP", name="hub")
    rows = owner_and_hub_parties(partner=hub, country_code="DE", party_id="EMS", to_party=("NL", "CPO"))
    assert sorted(rows) == [("DE", "EMS", "EMSP", True), ("NL", "HUB", "HUB", True)]
    rows = owner_and_hub_parties(partner=hub, country_code="FR", party_id="OTH", to_party=("SE", "XYZ"))
    assert sorted(rows) == [("FR", "OTH", "EMSP", False), ("NL", "HUB", "HUB", False)]
    assert owner_and_hub_parties(partner=hub, country_code="SE", party_id="XYZ") == [("NL", "HUB", "HUB", True)]


def test_tokens_read_with_the_parties_of_an_owner_answer_as_owner_and_hub_parties(cpo_tenant):
    from partners.selectors import owner_and_hub_parties

    hub, hub_token = make_partner(cpo_tenant, "NL:HUB:HUB", "de:ems:EMSP", "FR:OTH:EMSP", name="hub")
    plain, plain_token = make_partner(cpo_tenant, "BE:EMS:EMSP", name="plain")
    cases = [
        (("DE", "EMS"), ("NL", "CPO")),  # a served party, addressed to one of ours
        (("FR", "OTH"), ("SE", "XYZ")),  # addressed to a party that is not ours
        (("SE", "XYZ"), None),  # nobody's party: the hub's own parties only
        (("be", "ems"), None),
    ]
    for partner, raw in ((hub, hub_token), (plain, plain_token)):
        for owner, to_party in cases:
            [token] = live_tokens(tenant_slug="cpo", token_hashes=[hash_token(raw)], owner=owner, to_party=to_party)
            assert token.partner == partner and token.tenant == cpo_tenant
            expected = owner_and_hub_parties(
                partner=partner, country_code=owner[0], party_id=owner[1], to_party=to_party
            )
            assert sorted(token.owner_and_hub_parties) == sorted(expected), (partner.name, owner, to_party)
    [token] = live_tokens(tenant_slug="cpo", token_hashes=[hash_token(plain_token)], owner=("SE", "XYZ"))
    assert token.owner_and_hub_parties == []
