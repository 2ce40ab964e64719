"""Charge detail records: final, shown only."""

from django.contrib import admin

from roaming.admin.base import OcpiObjectAdmin
from roaming.models import Cdr


@admin.register(Cdr)
class CdrAdmin(OcpiObjectAdmin):
    list_display = [
        "cdr_id",
        "owner_party",
        "start_date_time",
        "total_energy",
        "total_cost_excl_vat",
        "credit",
        "partner",
        "last_updated",
    ]
    list_filter = [("partner", admin.EmptyFieldListFilter), "credit", "tenant"]
    search_fields = ["cdr_id", "session_id"]

    def has_delete_permission(self, request, obj=None):
        return False  # CDRs are final

    @admin.display(description="total cost excl. VAT")
    def total_cost_excl_vat(self, obj):
        return f"{obj.total_cost.get('excl_vat')} {obj.currency}"
