"""Commands sent and received, each with its steps."""

from django.contrib import admin, messages

from roaming.admin.base import RequestFlowAdmin
from roaming.models import Command
from roaming.services import commands as commands_service


@admin.register(Command)
class CommandAdmin(RequestFlowAdmin):
    """Commands sent to CPO partners and received from eMSP partners, each with its steps."""

    list_display = ["created", "direction", "command", "partner", "status", "response_result", "result", "deadline"]
    list_filter = ["direction", "command", "status", "tenant"]
    search_fields = ["uid", "partner__name", "request__session_id", "request__location_id"]

    actions = ["cancel_reservation"]

    @admin.action(description="Cancel the selected reservations we accepted (tell the eMSP)")
    def cancel_reservation(self, request, queryset):
        canceled = [c for c in queryset if commands_service.cancel_reservation(tenant=c.tenant, command_id=c.pk)]
        self.message_user(request, f"{len(canceled)} reservations canceled.", messages.SUCCESS)
