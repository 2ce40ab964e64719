"""Locations and EVSEs: received ones shown, the tenant's own EVSE statuses set here and pushed."""

from django import forms
from django.contrib import admin

from partners.admin_scoping import TenantScopedAdmin
from roaming.admin.base import OcpiObjectAdmin
from roaming.models import Evse, Location
from roaming.services import locations as locations_service


class EvseInline(admin.TabularInline):
    model = Evse
    fields = ["uid", "evse_id", "status", "last_updated"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(OcpiObjectAdmin):
    list_display = ["location_id", "name", "city", "owner_party", "partner", "publish", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "publish", "tenant"]
    search_fields = ["location_id", "name", "city", "address"]
    inlines = [EvseInline]


class EvseStatusForm(forms.ModelForm):
    class Meta:
        model = Evse
        fields = ["status"]


@admin.register(Evse)
class EvseAdmin(TenantScopedAdmin):
    """EVSEs of the tenant's own locations: a status set here is pushed to every partner."""

    form = EvseStatusForm
    list_display = ["uid", "evse_id", "location", "status", "last_updated"]
    list_editable = ["status"]
    list_filter = ["status", "tenant"]
    search_fields = ["uid", "evse_id", "location__location_id"]
    list_select_related = ["location"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(location__partner__isnull=True)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            locations_service.set_evse_status(evse=obj, status=form.cleaned_data["status"])
