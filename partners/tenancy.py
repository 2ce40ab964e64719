"""Tenancy on every row: the one place that scopes querysets to a tenant."""

from __future__ import annotations

from django.db import models


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> TenantQuerySet:
        return self.filter(tenant=tenant)


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantOwned(models.Model):
    """Abstract base of every tenant-owned row."""

    tenant = models.ForeignKey("partners.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True
