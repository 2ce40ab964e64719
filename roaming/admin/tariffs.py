"""Tariffs, the tenant's own and those received from partners."""

from django.contrib import admin

from roaming.admin.base import OcpiObjectAdmin
from tariffs.models import Tariff


@admin.register(Tariff)
class TariffAdmin(OcpiObjectAdmin):
    list_display = ["tariff_id", "owner_party", "currency", "type", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "currency", "tenant"]
    search_fields = ["tariff_id"]
