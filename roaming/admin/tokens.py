"""Tokens, the tenant's own and those received from partners."""

from django.contrib import admin

from roaming.admin.base import OcpiObjectAdmin
from roaming.models import Token


@admin.register(Token)
class TokenAdmin(OcpiObjectAdmin):
    list_display = ["uid", "type", "contract_id", "owner_party", "valid", "whitelist", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "type", "valid", "whitelist", "tenant"]
    search_fields = ["uid", "contract_id", "visual_number"]
