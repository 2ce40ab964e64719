"""Shared argument handling of the partner commands."""

from django.core.management.base import CommandError

from partners.models import Partner, Tenant


def tenant_or_fail(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise CommandError(f"no tenant {slug!r}")
    return tenant


def partner_or_fail(tenant: Tenant, name: str) -> Partner:
    partner = Partner.objects.for_tenant(tenant).filter(name=name).first()
    if partner is None:
        raise CommandError(f"tenant {tenant.slug!r} has no partner {name!r}")
    return partner
