"""Sessions, with the commands and charging-profile actions an operator sends for them."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html, format_html_join

from roaming.admin.base import OcpiObjectAdmin
from roaming.models import Session
from roaming.ocpi.timestamps import format_datetime
from roaming.services import cdrs as cdrs_service
from roaming.services import chargingpreferences as chargingpreferences_service
from roaming.services import chargingprofiles as chargingprofiles_service
from roaming.services import commands as commands_service


class SessionActionForm(ActionForm):
    """The action bar's extra fields: the limit a charging profile sets, and the duration a GET asks for."""

    limit = forms.DecimalField(required=False, min_value=0, max_digits=9, decimal_places=1, help_text="default 16 A")
    unit = forms.ChoiceField(choices=[("A", "A"), ("W", "W")], required=False)
    duration = forms.IntegerField(required=False, min_value=1, help_text="seconds, default 900")
    profile_type = forms.ChoiceField(
        choices=[(t, t) for t in ("REGULAR", "FAST", "CHEAP", "GREEN")], required=False, label="preference"
    )
    departure_time = forms.DateTimeField(required=False, help_text="expected departure")
    energy_need = forms.DecimalField(required=False, min_value=0, max_digits=9, decimal_places=3, help_text="kWh")


@admin.register(Session)
class SessionAdmin(OcpiObjectAdmin):
    list_display = [
        "session_id",
        "owner_party",
        "status",
        "kwh",
        "location_id",
        "evse_uid",
        "start_date_time",
        "partner",
        "last_updated",
    ]
    list_filter = [("partner", admin.EmptyFieldListFilter), "status", "tenant"]
    search_fields = ["session_id", "location_id", "cdr_token__contract_id"]
    readonly_fields = ["cost_breakdown", "charging_preferences", "charging_preferences_response"]
    actions = [
        "build_cdrs",
        "stop_session",
        "set_charging_profile",
        "get_active_charging_profile",
        "clear_charging_profile",
        "send_charging_preferences",
    ]
    action_form = SessionActionForm

    @admin.display(description="cost")
    def cost_breakdown(self, obj):
        """What the session costs (so far) under its connector's tariff, line by line as the engine billed it."""
        if obj.partner_id is not None:
            return f"Priced by the partner's CPO: {obj.total_cost or 'no cost reported yet'}"
        try:
            quote = cdrs_service.quote_session(tenant=obj.tenant, session=obj)
        except cdrs_service.SessionNotBillable as exc:
            return str(exc)
        price = quote.price
        lines = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (line.period + 1, line.dimension, line.quantity, line.cost.excl_vat, line.cost.incl_vat)
                for line in price.lines
            ),
        )
        return format_html(
            "<p>Tariff {} ({})</p><table><thead><tr><th>period</th><th>dimension</th><th>billed</th>"
            "<th>excl. VAT</th><th>incl. VAT</th></tr></thead><tbody>{}</tbody><tfoot><tr><th colspan=3>total</th>"
            "<th>{}</th><th>{}</th></tr></tfoot></table>",
            quote.tariff.tariff_id if quote.tariff else "none",
            price.currency,
            lines,
            price.total_cost.excl_vat,
            price.total_cost.incl_vat,
        )

    @admin.action(description="Build the CDR of the selected ended sessions")
    def build_cdrs(self, request, queryset):
        built, refused = 0, []
        for session in queryset.select_related("tenant"):
            try:
                built += cdrs_service.build_cdr_from_session(tenant=session.tenant, session=session).created
            except cdrs_service.SessionNotBillable as exc:
                refused.append(str(exc))
        self.message_user(request, f"{built} CDR(s) built.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    @admin.action(description="Ask the CPO to stop the selected sessions (STOP_SESSION)")
    def stop_session(self, request, queryset):
        """Only sessions received from a CPO partner can be stopped by a command: the partner runs them."""
        for session in queryset.filter(partner__isnull=False, status="ACTIVE").select_related("partner"):
            command = commands_service.send_command(
                tenant=session.tenant,
                partner=session.partner,
                command="STOP_SESSION",
                request={"session_id": session.session_id},
            )
            level = messages.SUCCESS if command.status == "ACCEPTED" else messages.WARNING
            self.message_user(request, f"STOP_SESSION {session.session_id}: {command.get_status_display()}", level)

    def _profile_action(self, request, queryset, send) -> None:
        """Send one charging profile request per selected ACTIVE session of a CPO partner (the partner runs it)."""
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        if not form.is_valid():
            self.message_user(request, f"Invalid values: {form.errors.as_text()}", messages.ERROR)
            return
        for session in queryset.filter(partner__isnull=False, status="ACTIVE").select_related("partner"):
            sent = send(session=session, values=form.cleaned_data)
            level = messages.SUCCESS if sent.status == "ACCEPTED" else messages.WARNING
            detail = f" ({sent.error})" if sent.error else ""
            self.message_user(
                request,
                f"{sent.kind} charging profile {session.session_id}: {sent.get_status_display()}{detail}",
                level,
            )

    @admin.action(description="Set a charging profile on the selected sessions (limit and unit above)")
    def set_charging_profile(self, request, queryset):
        def send(*, session, values):
            limit, unit = values.get("limit"), values.get("unit") or "A"
            profile = {
                "charging_rate_unit": unit,
                "charging_profile_period": [{"start_period": 0, "limit": float(limit if limit is not None else 16)}],
            }
            return chargingprofiles_service.set_profile(
                tenant=session.tenant, partner=session.partner, session_id=session.session_id, profile=profile
            )

        self._profile_action(request, queryset, send)

    @admin.action(description="Get the active charging profile of the selected sessions (duration above)")
    def get_active_charging_profile(self, request, queryset):
        def send(*, session, values):
            return chargingprofiles_service.get_active_profile(
                tenant=session.tenant,
                partner=session.partner,
                session_id=session.session_id,
                duration=values.get("duration") or 900,
            )

        self._profile_action(request, queryset, send)

    @admin.action(description="Send the driver's charging preferences for the selected sessions (values above)")
    def send_charging_preferences(self, request, queryset):
        form = self.action_form(request.POST)
        form.fields["action"].choices = self.get_action_choices(request)
        if not form.is_valid():
            self.message_user(request, f"Invalid values: {form.errors.as_text()}", messages.ERROR)
            return
        values = form.cleaned_data
        preferences = {"profile_type": values.get("profile_type") or "REGULAR"}
        if values.get("departure_time"):
            preferences["departure_time"] = format_datetime(values["departure_time"])
        if values.get("energy_need") is not None:
            preferences["energy_need"] = float(values["energy_need"])
        for session in queryset.filter(partner__isnull=False, status="ACTIVE").select_related("partner"):
            sent = chargingpreferences_service.send(tenant=session.tenant, session=session, preferences=preferences)
            level = messages.SUCCESS if sent.response == "ACCEPTED" else messages.WARNING
            self.message_user(request, f"Preferences {session.session_id}: {sent.response or sent.error}", level)

    @admin.action(description="Clear the charging profile of the selected sessions")
    def clear_charging_profile(self, request, queryset):
        def send(*, session, values):
            return chargingprofiles_service.clear_profile(
                tenant=session.tenant, partner=session.partner, session_id=session.session_id
            )

        self._profile_action(request, queryset, send)
