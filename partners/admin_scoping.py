"""Tenant scoping for the admin: an operator sees and edits only their own tenant's rows.

Every admin of a tenant-owned model derives from TenantScopedAdmin; superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from partners.models import Tenant


def operator_tenant(request) -> Tenant | None:
    """The tenant the signed-in operator belongs to (None for superusers and strangers)."""
    operator = getattr(request.user, "operator", None)
    return operator.tenant if operator is not None else None


def is_operator(request) -> bool:
    return bool(request.user.is_active and request.user.is_staff and operator_tenant(request) is not None)


class TenantScopedAdmin(admin.ModelAdmin):
    """ModelAdmin whose queryset, foreign-key choices and saves stay inside the operator's tenant."""

    tenant_field = "tenant"

    def _allowed(self, request) -> bool:
        return request.user.is_superuser or is_operator(request)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        tenant = operator_tenant(request)
        if tenant is None:
            return queryset.none()
        return queryset.filter(**{self.tenant_field: tenant})

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.tenant_field == "tenant":
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if not request.user.is_superuser:
            filters = [f for f in filters if f != self.tenant_field]
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        tenant = operator_tenant(request)
        related = db_field.related_model
        if tenant is not None and not request.user.is_superuser:
            if related is Tenant:
                kwargs["queryset"] = Tenant.objects.filter(pk=tenant.pk)
            elif any(f.name == "tenant" for f in related._meta.get_fields()):
                kwargs["queryset"] = related._default_manager.filter(tenant=tenant)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        tenant = operator_tenant(request)
        related = db_field.related_model
        if (
            tenant is not None
            and not request.user.is_superuser
            and any(f.name == "tenant" for f in related._meta.get_fields())
        ):
            kwargs["queryset"] = related._default_manager.filter(tenant=tenant)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        tenant = operator_tenant(request)
        if not request.user.is_superuser:
            if tenant is None:
                raise PermissionDenied
            if self.tenant_field == "tenant":
                obj.tenant = tenant
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if hasattr(instance, "tenant_id") and not instance.tenant_id:
                instance.tenant_id = form.instance.tenant_id
            instance.save()
        for deleted in formset.deleted_objects:
            deleted.delete()
        formset.save_m2m()


class TenantScopedInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or is_operator(request)

    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def has_add_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)
