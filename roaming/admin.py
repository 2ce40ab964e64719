"""Admin of the roaming app: the push queue an operator watches and mends."""

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from partners.admin_scoping import TenantScopedAdmin, operator_tenant
from partners.models import Party
from roaming.models import (
    ActiveChargingProfile,
    Cdr,
    ChargingProfileRequest,
    ClientInfo,
    Command,
    Delivery,
    DeliveryStatus,
    Evse,
    InvoiceReconciliationRecord,
    Location,
    RouteStat,
    Session,
    SyncState,
    Token,
)
from roaming.ocpi.timestamps import format_datetime
from roaming.services import cdrs as cdrs_service
from roaming.services import chargingpreferences as chargingpreferences_service
from roaming.services import chargingprofiles as chargingprofiles_service
from roaming.services import commands as commands_service
from roaming.services import invoicereconciliation as invoicereconciliation_service
from roaming.services import jobs, outbox, routing, sync
from roaming.services import locations as locations_service
from tariffs.models import Tariff


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


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    list_display = [
        "created",
        "partner",
        "status",  # before the long columns: visible without scrolling
        "method",
        "module",
        "object_path",
        "changes",
        "attempts",
        "next_attempt_at",
        "last_http_status",
        "last_status_code",
        "correlation_id",
    ]
    list_filter = ["status", "module", "method", "tenant"]
    search_fields = ["object_path", "partner__name", "correlation_id"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed or pending deliveries now")
    def retry_now(self, request, queryset):
        count = outbox.retry(deliveries=queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]))
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


@admin.register(SyncState)
class SyncStateAdmin(TenantScopedAdmin):
    list_display = [
        "partner",
        "module",
        "enabled",
        "interval_seconds",
        "cursor",
        "running_since",
        "last_completed_at",
        "last_pages",
        "last_objects",
        "last_rejected",
        "last_error",
    ]
    list_filter = ["module", "enabled", "tenant"]
    list_editable = ["enabled", "interval_seconds"]
    readonly_fields = [
        "partner",
        "module",
        "cursor",
        "running_since",
        "last_started_at",
        "last_completed_at",
        "last_pages",
        "last_objects",
        "last_rejected",
        "last_refused",
        "last_error",
        "full_resync_requested",
    ]
    actions = ["pull_now", "full_resync"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Pull the selected modules now")
    def pull_now(self, request, queryset):
        for state in queryset:
            jobs.enqueue(jobs.PULL, state.pk)
        self.message_user(request, f"{queryset.count()} pulls queued.", messages.SUCCESS)

    @admin.action(description="Full resync: fetch everything again at the next pull")
    def full_resync(self, request, queryset):
        count = sync.request_full_resync(states=queryset)
        for state in queryset:
            jobs.enqueue(jobs.PULL, state.pk)
        self.message_user(request, f"{count} full resyncs queued.", messages.SUCCESS)


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


@admin.register(Tariff)
class TariffAdmin(OcpiObjectAdmin):
    list_display = ["tariff_id", "owner_party", "currency", "type", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "currency", "tenant"]
    search_fields = ["tariff_id"]


@admin.register(Token)
class TokenAdmin(OcpiObjectAdmin):
    list_display = ["uid", "type", "contract_id", "owner_party", "valid", "whitelist", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "type", "valid", "whitelist", "tenant"]
    search_fields = ["uid", "contract_id", "visual_number"]


@admin.register(ClientInfo)
class ClientInfoAdmin(OcpiObjectAdmin):
    """Which parties are reachable through a hub (partner set), or published by this tenant as a hub."""

    list_display = ["party", "role", "status", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "status", "role", "tenant"]
    search_fields = ["party_id", "country_code", "partner__name"]

    @admin.display(description="party", ordering="country_code")
    def party(self, obj):
        return f"{obj.country_code}*{obj.party_id}"


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


class InvoiceReconciliationRecordForm(forms.ModelForm):
    """A record the tenant issues: for which of its parties, the invoice, and the CDR ids it covers."""

    party = forms.ModelChoiceField(queryset=Party.objects.none(), help_text="The party that issues the invoice.")
    cdrs = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="The ids of the CDRs the invoice covers, one per line."
    )

    class Meta:
        model = InvoiceReconciliationRecord
        fields = ["record_id", "invoice_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("cdrs", "\n".join(self.instance.cdr_ids))

    def clean_cdrs(self):
        ids = [line.strip() for line in self.cleaned_data["cdrs"].replace(",", "\n").splitlines() if line.strip()]
        if not ids:
            raise forms.ValidationError("Name at least one CDR.")
        if too_long := [i for i in ids if len(i) > 36 or not i.isascii()]:
            raise forms.ValidationError(f"CDR ids are at most 36 ASCII characters: {too_long[0]!r}")
        return ids


@admin.register(InvoiceReconciliationRecord)
class InvoiceReconciliationRecordAdmin(TenantScopedAdmin):
    """Invoice Reconciliation records (2.3.0): received from partners (shown only), and the tenant's own, which an
    operator issues, changes and deletes here; each is pushed to the partner whose CDRs it names."""

    form = InvoiceReconciliationRecordForm
    list_display = ["record_id", "invoice_id", "owner_party", "cdr_count", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "tenant"]
    search_fields = ["record_id", "invoice_id"]
    list_select_related = ["partner"]

    @admin.display(description="owner")
    def owner_party(self, obj):
        return obj.owner

    @admin.display(description="CDRs")
    def cdr_count(self, obj):
        return len(obj.cdr_ids)

    def get_readonly_fields(self, request, obj=None):
        return ["record_id", "owner_party", "partner", "last_updated"] if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["party", "record_id", "invoice_id", "cdrs"]
        return ["record_id", "owner_party", "partner", "invoice_id", "cdrs", "last_updated"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        parties = Party.objects.filter(role__in=invoicereconciliation_service.ISSUER_ROLES)
        tenant = operator_tenant(request)
        if tenant is not None and not request.user.is_superuser:
            parties = parties.filter(tenant=tenant)
        if obj is None:
            # A copy: the declared field is shared by every form class, and so by every operator's request.
            form.base_fields["party"] = copy.deepcopy(form.base_fields["party"])
            form.base_fields["party"].queryset = parties
        else:  # the owner and id of a record stay what they were
            del form.base_fields["party"]
        return form

    def has_change_permission(self, request, obj=None):
        # What a partner sent is its own: only the tenant's records are changed here.
        return super().has_change_permission(request, obj) and (obj is None or obj.partner_id is None)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.partner_id is None)

    def save_model(self, request, obj, form, change):
        if change:
            party = Party.objects.filter(
                tenant_id=obj.tenant_id,
                country_code=obj.country_code,
                party_id=obj.party_id,
                role__in=invoicereconciliation_service.ISSUER_ROLES,
            ).first()
        else:
            party = form.cleaned_data["party"]
        issued = invoicereconciliation_service.issue_record(
            tenant=party.tenant,
            party=party,
            record_id=obj.record_id,
            invoice_id=form.cleaned_data["invoice_id"],
            cdr_ids=form.cleaned_data["cdrs"],
        )
        saved = invoicereconciliation_service.find(
            invoicereconciliation_service.owned_by(
                tenant=party.tenant, country_code=party.country_code, party_id=party.party_id
            ),
            record_id=issued.object_path.split("/", 2)[2],
        )
        obj.pk, obj.tenant, obj.partner = saved.pk, saved.tenant, saved.partner
        obj._state.adding = False

    def delete_model(self, request, obj):
        invoicereconciliation_service.delete_record(
            tenant=obj.tenant,
            partner=None,
            country_code=obj.country_code,
            party_id=obj.party_id,
            record_id=obj.record_id,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset.filter(partner__isnull=True):
            self.delete_model(request, obj)


@admin.register(Command)
class CommandAdmin(TenantScopedAdmin):
    """Commands sent to CPO partners and received from eMSP partners, each with its steps."""

    list_display = ["created", "direction", "command", "partner", "status", "response_result", "result", "deadline"]
    list_filter = ["direction", "command", "status", "tenant"]
    search_fields = ["uid", "partner__name", "request__session_id", "request__location_id"]
    list_select_related = ["partner"]
    exclude = ["history"]
    readonly_fields = [f.name for f in Command._meta.fields if f.name != "history"] + ["steps"]

    actions = ["cancel_reservation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected reservations we accepted (tell the eMSP)")
    def cancel_reservation(self, request, queryset):
        canceled = [c for c in queryset if commands_service.cancel_reservation(tenant=c.tenant, command_id=c.pk)]
        self.message_user(request, f"{len(canceled)} reservations canceled.", messages.SUCCESS)

    @admin.display(description="history")
    def steps(self, obj):
        return format_html_join(
            mark_safe("<br>"), "{} &nbsp; <b>{}</b> {}", ((s["at"][:19], s["event"], s["detail"]) for s in obj.history)
        )


@admin.register(ChargingProfileRequest)
class ChargingProfileRequestAdmin(TenantScopedAdmin):
    """Charging profile requests sent to CPO partners and received from eMSP/SCSP partners, each with its steps."""

    list_display = ["created", "direction", "kind", "session_id", "partner", "status", "response_result", "result"]
    list_filter = ["direction", "kind", "status", "tenant"]
    search_fields = ["uid", "session_id", "partner__name"]
    list_select_related = ["partner"]
    exclude = ["history"]
    readonly_fields = [f.name for f in ChargingProfileRequest._meta.fields if f.name != "history"] + ["steps"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="history")
    def steps(self, obj):
        return format_html_join(
            mark_safe("<br>"), "{} &nbsp; <b>{}</b> {}", ((s["at"][:19], s["event"], s["detail"]) for s in obj.history)
        )


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


@admin.register(RouteStat)
class RouteAdmin(TenantScopedAdmin):
    """A hub tenant's routes: each party it connects, the partner platform it is reached through, how many
    requests were forwarded to it and how many failed; routing to a party can be suspended (answered 4003)."""

    list_display = ["party", "partner", "connection", "suspended", "forwarded", "errors", "last_forwarded_at"]
    list_filter = ["suspended", "tenant"]
    search_fields = ["country_code", "party_id", "partner__name", "last_error"]
    list_select_related = ["partner"]
    readonly_fields = [f.name for f in RouteStat._meta.fields]
    actions = ["suspend_routing", "resume_routing"]

    def has_module_permission(self, request):
        tenant = operator_tenant(request)
        return super().has_module_permission(request) and (tenant is None or routing.is_hub(tenant))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        tenant = operator_tenant(request)
        if tenant is not None and routing.is_hub(tenant):
            routing.routes(tenant=tenant)  # a row for every party the hub connects, asked for or not yet
        return super().changelist_view(request, extra_context)

    @admin.display(description="party", ordering="country_code")
    def party(self, obj):
        return str(obj)

    @admin.display(description="reached through")
    def connection(self, obj):
        return obj.partner.get_status_display()

    @admin.action(description="Suspend routing to the selected parties")
    def suspend_routing(self, request, queryset):
        count = routing.suspend(routes=queryset, suspended=True)
        self.message_user(request, f"Routing to {count} parties suspended: requests to them are answered 4003.")

    @admin.action(description="Resume routing to the selected parties")
    def resume_routing(self, request, queryset):
        count = routing.suspend(routes=queryset, suspended=False)
        self.message_user(request, f"Routing to {count} parties resumed.", messages.SUCCESS)
