"""Plain joined SELECTs load the same objects the ORM would, whatever fields they pick and in what order."""

from partners.models import AccessToken, Partner, Tenant
from partners.rows import JoinedSelect
from tests.factories import make_partner

TOKENS_WITH_PARTNER = JoinedSelect(
    "SELECT {columns} FROM {t} t JOIN {p} p ON p.id = t.partner_id WHERE t.tenant_id = %s ORDER BY t.id",
    (AccessToken, "t", ("token_hash", "partner", "kind")),  # not in the model's field order on purpose
    (Partner, "p", ("version", "name", "tenant")),
)


def test_picked_fields_load_into_the_right_attributes_and_the_rest_are_deferred(cpo_tenant):
    make_partner(cpo_tenant, "DE:EMS:EMSP", name="emsp", version="2.1.1")
    [(token, partner)] = TOKENS_WITH_PARTNER.rows([cpo_tenant.pk])
    expected = AccessToken.objects.select_related("partner").get(tenant=cpo_tenant)
    assert (token.pk, token.token_hash, token.partner_id, token.kind) == (
        expected.pk,
        expected.token_hash,
        expected.partner_id,
        expected.kind,
    )
    assert (partner.pk, partner.name, partner.version, partner.tenant_id) == (
        expected.partner.pk,
        "emsp",
        "2.1.1",
        cpo_tenant.pk,
    )
    assert "hint" in token.get_deferred_fields() and "registered_at" in partner.get_deferred_fields()
    assert type(token) is AccessToken and type(partner) is Partner


def test_no_match_is_no_rows_and_every_match_is_one(cpo_tenant, emsp_tenant):
    assert TOKENS_WITH_PARTNER.rows([Tenant.objects.order_by("-pk").first().pk + 1]) == []
    make_partner(emsp_tenant, name="one")
    make_partner(emsp_tenant, name="two")
    assert [p.name for _, p in TOKENS_WITH_PARTNER.rows([emsp_tenant.pk])] == ["one", "two"]


def prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_hot_statements_are_prepared_once_per_connection_and_logged_as_written(cpo_tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_partner(cpo_tenant, name="one")
    with CaptureQueriesContext(connection) as queries:
        TOKENS_WITH_PARTNER.rows([cpo_tenant.pk])
        TOKENS_WITH_PARTNER.rows([cpo_tenant.pk])
    assert [q["sql"].startswith('SELECT t."id"') for q in queries.captured_queries] == [True, True]
    assert "WHERE t.tenant_id = %s" in queries.captured_queries[0]["sql"]
    assert sum("WHERE t.tenant_id = $1" in s for s in prepared_statements()) == 1


def test_prepared_statements_can_be_turned_off(cpo_tenant, settings):
    settings.DB_PREPARED_STATEMENTS = False
    make_partner(cpo_tenant, name="one")
    assert [p.name for _, p in TOKENS_WITH_PARTNER.rows([cpo_tenant.pk])] == ["one"]
    assert not any("WHERE t.tenant_id = $1" in s for s in prepared_statements())
