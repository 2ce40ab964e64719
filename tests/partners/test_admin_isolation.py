"""Walk every registered admin as an operator of tenant A: nothing of tenant B is listed or opens."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.utils import timezone

from partners.admin_scoping import TenantScopedAdmin
from partners.models import PartnerEndpoint, Party, Tenant
from roaming.models import (
    ActiveChargingProfile,
    Cdr,
    ChargingProfileRequest,
    ClientInfo,
    Command,
    Delivery,
    Evse,
    InvoiceReconciliationRecord,
    Location,
    RouteStat,
    Session,
    SyncState,
    Token,
)
from tariffs.models import Tariff
from tests.factories import make_operator, make_partner, make_tenant


def populate(tenant, suffix: str) -> None:
    """One of everything the admin shows, for `tenant`."""
    partner, _ = make_partner(tenant, name=f"partner-{suffix}")
    PartnerEndpoint.objects.create(
        tenant=tenant,
        partner=partner,
        identifier="locations",
        role="RECEIVER",
        url=f"https://{suffix}.example.com/locations",
    )
    Delivery.objects.create(
        tenant=tenant,
        partner=partner,
        module="locations",
        object_path=f"{suffix}/1",
        method="PUT",
        next_attempt_at=timezone.now(),
    )
    SyncState.objects.create(tenant=tenant, partner=partner, module="locations")
    RouteStat.objects.create(tenant=tenant, partner=partner, country_code="DE", party_id="EMS", forwarded=1)
    ClientInfo.objects.create(
        tenant=tenant,
        partner=partner,
        country_code="DE",
        party_id="EMS",
        role="EMSP",
        status="CONNECTED",
        last_updated=timezone.now(),
    )
    Command.objects.create(tenant=tenant, partner=partner, direction="SENT", command="STOP_SESSION")
    ChargingProfileRequest.objects.create(tenant=tenant, partner=partner, direction="SENT", kind="GET", session_id="S")
    ActiveChargingProfile.objects.create(
        tenant=tenant, partner=partner, session_id="S", start_date_time="2026-01-01T00:00:00Z", charging_profile={}
    )
    party = Party.objects.for_tenant(tenant).first()
    location = Location.objects.create(
        tenant=tenant,
        country_code=party.country_code,
        party_id=party.party_id,
        location_id=f"{suffix}-1",
        address="Street 1",
        city="City",
        country="NLD",
        latitude="52.00000",
        longitude="5.00000",
        last_updated=timezone.now(),
    )
    Evse.objects.create(
        tenant=tenant, location=location, uid=f"{suffix}-E1", status="AVAILABLE", last_updated=timezone.now()
    )
    Token.objects.create(
        tenant=tenant,
        country_code=party.country_code,
        party_id=party.party_id,
        uid=f"{suffix}-U",
        type="RFID",
        contract_id="C1",
        issuer="Issuer",
        valid=True,
        whitelist="ALWAYS",
        last_updated=timezone.now(),
    )
    Session.objects.create(
        tenant=tenant,
        country_code=party.country_code,
        party_id=party.party_id,
        session_id=f"{suffix}-S",
        start_date_time=timezone.now(),
        kwh=0,
        cdr_token={},
        auth_method="WHITELIST",
        location_id="L",
        evse_uid="E",
        connector_id="1",
        currency="EUR",
        status="ACTIVE",
        last_updated=timezone.now(),
    )
    Cdr.objects.create(
        tenant=tenant,
        country_code=party.country_code,
        party_id=party.party_id,
        cdr_id=f"{suffix}-C",
        start_date_time=timezone.now(),
        end_date_time=timezone.now(),
        cdr_token={},
        auth_method="WHITELIST",
        cdr_location={},
        currency="EUR",
        total_cost={"excl_vat": 0},
        total_energy=0,
        total_time=0,
        last_updated=timezone.now(),
    )
    InvoiceReconciliationRecord.objects.create(
        tenant=tenant,
        country_code=party.country_code,
        party_id=party.party_id,
        record_id=f"{suffix}-IR",
        invoice_id=f"{suffix}-INV",
        cdr_ids=[f"{suffix}-C"],
        last_updated=timezone.now(),
    )
    Tariff.objects.create(
        tenant=tenant,
        country_code=party.country_code,
        party_id=party.party_id,
        tariff_id=f"{suffix}-T",
        currency="EUR",
        elements=[],
        last_updated=timezone.now(),
    )


@pytest.fixture
def populated_tenants(db):
    """Tenants alpha and beta, each populated with its own objects, and an operator of alpha."""
    a = make_tenant("alpha", "NL:AAA:CPO")
    b = make_tenant("beta", "BE:BBB:CPO")
    populate(a, "alpha")
    populate(b, "beta")
    user = make_operator(a, "op-alpha")
    return a, b, user


def tenant_of(obj):
    return obj if isinstance(obj, Tenant) else obj.tenant


def scoped_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, TenantScopedAdmin)
    ]


def test_every_tenant_owned_model_is_scoped_or_closed_to_operators(client, populated_tenants):
    _, _, user = populated_tenants
    client.force_login(user)
    for model, model_admin in admin.site._registry.items():
        if not any(f.name == "tenant" for f in model._meta.fields) or isinstance(model_admin, TenantScopedAdmin):
            continue
        opts = model._meta
        assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/").status_code == 403, opts.model_name


def test_operator_querysets_hold_only_their_tenant(populated_tenants):
    a, b, user = populated_tenants
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in scoped_admins():
        everything = list(model._default_manager.all())
        assert any(tenant_of(o) == b for o in everything), f"no tenant-B {model.__name__} to test with"
        visible = list(model_admin.get_queryset(request))
        assert visible and all(tenant_of(o) == a for o in visible), model.__name__


def test_operator_cannot_open_or_list_any_object_of_another_tenant(client, populated_tenants):
    a, b, user = populated_tenants
    client.force_login(user)
    for model, _ in scoped_admins():
        opts = model._meta
        changelist = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        assert changelist.status_code == 200, opts.model_name
        for obj in model._default_manager.all():
            if tenant_of(obj) != b:
                continue
            response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
            assert response.status_code == 302, f"{opts.model_name} {obj.pk} opened"
            delete = client.post(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/delete/", {"post": "yes"})
            assert delete.status_code in (302, 403), opts.model_name
            assert model._default_manager.filter(pk=obj.pk).exists(), f"{opts.model_name} {obj.pk} deleted"
