from ops.demo import seed_demo
from partners.models import AccessToken, Party, Tenant


def test_seed_creates_a_cpo_and_an_emsp_tenant_with_working_tokens(client, db):
    seeded = seed_demo()
    roles = {
        item.tenant.slug: set(Party.objects.for_tenant(item.tenant).values_list("role", flat=True)) for item in seeded
    }
    assert roles["demo-cpo"] == {"CPO"}
    assert roles["demo-emsp"] == {"EMSP"}
    for item in seeded:
        response = client.get(f"/ocpi/{item.tenant.slug}/versions", HTTP_AUTHORIZATION=f"Token {item.curl_token}")
        assert response.status_code == 200


def test_seeding_twice_keeps_one_of_everything_and_only_the_newest_token_works(client, db):
    first = seed_demo()
    second = seed_demo()
    assert Tenant.objects.count() == 2
    slug = first[0].tenant.slug
    assert client.get(f"/ocpi/{slug}/versions", HTTP_AUTHORIZATION=f"Token {first[0].curl_token}").status_code == 401
    assert client.get(f"/ocpi/{slug}/versions", HTTP_AUTHORIZATION=f"Token {second[0].curl_token}").status_code == 200
    assert AccessToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_seed_gives_the_cpo_a_network_tariffs_sessions_and_cdrs_and_the_emsp_tokens(db):
    from roaming.models import Cdr, Location, Session, Token
    from tariffs.models import Tariff

    cpo, emsp = (item.tenant for item in seed_demo())
    assert Location.objects.for_tenant(cpo).count() == 300
    assert Tariff.objects.for_tenant(cpo).count() == 2
    assert Session.objects.for_tenant(cpo).count() == 12 and Cdr.objects.for_tenant(cpo).count() == 9
    # Every finished demo session was priced by the engine under its connector's tariff.
    assert all(cdr.total_cost["excl_vat"] > 0 and cdr.tariffs for cdr in Cdr.objects.for_tenant(cpo))
    assert Token.objects.for_tenant(emsp).count() == 20
