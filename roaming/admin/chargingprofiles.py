"""Charging profile requests and the profiles charge points planned."""

from django.contrib import admin

from partners.admin_scoping import TenantScopedAdmin
from roaming.admin.base import RequestFlowAdmin
from roaming.models import ActiveChargingProfile, ChargingProfileRequest


@admin.register(ChargingProfileRequest)
class ChargingProfileRequestAdmin(RequestFlowAdmin):
    """Charging profile requests sent to CPO partners and received from eMSP/SCSP partners, each with its steps."""

    list_display = ["created", "direction", "kind", "session_id", "partner", "status", "response_result", "result"]
    list_filter = ["direction", "kind", "status", "tenant"]
    search_fields = ["uid", "session_id", "partner__name"]


@admin.register(ActiveChargingProfile)
class ActiveChargingProfileAdmin(TenantScopedAdmin):
    """The profile each session's charge point last planned (partner empty: our own charge points)."""

    list_display = ["session_id", "partner", "start_date_time", "updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "tenant"]
    search_fields = ["session_id"]
    list_select_related = ["partner"]
    readonly_fields = [f.name for f in ActiveChargingProfile._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
