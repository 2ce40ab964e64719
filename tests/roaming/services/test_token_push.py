"""What a token PATCH sends a partner: the changed fields under the names of the partner's version."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from roaming.models import DeliveryMethod
from roaming.ocpi.dialects import get_dialect
from roaming.services import tokens
from tests.factories import own_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("version", "name"), [("2.1.1", "auth_id"), ("2.2.1", "contract_id")])
def test_a_new_contract_id_is_patched_under_the_versions_name(emsp_tenant, version, name):
    token = own_token(emsp_tenant)
    stamp = datetime(2026, 1, 5, 10, tzinfo=UTC)
    tokens.patch_token(
        tenant=emsp_tenant,
        partner=None,
        country_code="DE",
        party_id="EMS",
        uid=token.uid,
        token_type=token.type,
        fields={"contract_id": "DE-EMS-C2", "last_updated": stamp},
    )
    delivery = SimpleNamespace(
        tenant_id=emsp_tenant.pk,
        partner_id=None,
        object_path=f"DE/EMS/{token.uid}?type={token.type}",
        method=DeliveryMethod.PATCH,
        fields=["contract_id", "last_updated"],
    )
    request = tokens.build_push(delivery, get_dialect(version))
    assert request.body == {name: "DE-EMS-C2", "last_updated": "2026-01-05T10:00:00Z"}
