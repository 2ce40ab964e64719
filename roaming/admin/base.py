"""Shared bases of the roaming admin."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from partners.admin_scoping import TenantScopedAdmin


class OcpiObjectAdmin(TenantScopedAdmin):
    """Objects that change only through OCPI and the platform's services: shown, never edited by hand."""

    list_select_related = ["partner"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    @admin.display(description="owner")
    def owner_party(self, obj):
        return obj.owner


class RequestFlowAdmin(TenantScopedAdmin):
    """Requests that run through steps (commands, charging-profile requests): shown with their history, never
    edited by hand."""

    list_select_related = ["partner"]
    exclude = ["history"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "history"] + ["steps"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="history")
    def steps(self, obj):
        return format_html_join(
            mark_safe("<br>"), "{} &nbsp; <b>{}</b> {}", ((s["at"][:19], s["event"], s["detail"]) for s in obj.history)
        )
