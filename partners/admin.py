"""Admin for tenants, their parties and operators, and partner onboarding.

The partner page is where an operator connects a partner in either direction: generate a
registration token (token A, shown once with our versions URL) for a partner that registers with
us, or enter their versions URL and token A and press Register; then rotate, unregister or test.
"""

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from partners import handshake
from partners.admin_scoping import TenantScopedAdmin, TenantScopedInline, operator_tenant
from partners.models import (
    AccessToken,
    Handshake,
    Operator,
    Partner,
    PartnerEndpoint,
    PartnerParty,
    Party,
    Role,
    Tenant,
)
from partners.profile import PRESETS, PROFILE_FIELDS, apply_preset, matching_preset
from partners.services import default_bound_party, issue_registration_token
from partners.tasks import register_with_partner_task, update_with_partner_task
from roaming.models import ClientInfo
from roaming.ocpi.dialects import all_dialects
from roaming.services import initialsync
from roaming.services.diagnostics import apply_proposals, diagnose
from roaming.tasks import initial_sync_task

_DIAGNOSIS_SALT = "partners.admin.diagnosis"
#: Seconds a diagnosis page's Apply button stays good: what it proposes was true when it was made.
_DIAGNOSIS_MAX_AGE = 3600


class PartyInline(TenantScopedInline):
    model = Party
    fields = ["country_code", "party_id", "role", "name", "website", "logo_url"]


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    tenant_field = "pk"
    list_display = ["slug", "name", "is_active", "versions_url"]
    search_fields = ["slug", "name"]
    readonly_fields = ["versions_url"]
    inlines = [PartyInline]

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        tenant = operator_tenant(request)
        return queryset.filter(pk=tenant.pk) if tenant else queryset.none()

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        return ["slug", "is_active", "versions_url"]

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.tenant = form.instance
            instance.save()
        for deleted in formset.deleted_objects:
            deleted.delete()


@admin.register(Party)
class PartyAdmin(TenantScopedAdmin):
    list_display = ["__str__", "name", "tenant"]
    list_filter = ["role", "tenant"]
    search_fields = ["party_id", "name"]


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    """Which account operates which tenant: for superusers only."""

    list_display = ["user", "tenant"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    has_view_permission = has_add_permission = has_change_permission = has_delete_permission = (
        lambda self, request, obj=None: request.user.is_superuser
    )


class ReadOnlyInline(TenantScopedInline):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartnerPartyInline(ReadOnlyInline):
    model = PartnerParty
    fields = ["country_code", "party_id", "role", "name", "website"]
    verbose_name_plural = "their parties"


class ClientInfoInline(ReadOnlyInline):
    """A hub partner's page lists the parties reachable through it, as its ClientInfo reported them."""

    model = ClientInfo
    fields = ["country_code", "party_id", "role", "status", "last_updated"]
    verbose_name_plural = "parties reachable through this hub"


class PartnerEndpointInline(ReadOnlyInline):
    model = PartnerEndpoint
    fields = ["identifier", "role", "url"]
    verbose_name_plural = "their endpoints"


class AccessTokenInline(ReadOnlyInline):
    model = AccessToken
    fields = ["kind", "masked", "created", "revoked_at"]
    readonly_fields = fields
    verbose_name_plural = "tokens they call us with (only the last characters are kept in view)"

    @admin.display(description="token")
    def masked(self, obj):
        return f"••••••••{obj.hint}"


class HandshakeInline(ReadOnlyInline):
    model = Handshake
    fields = ["started", "direction", "action", "outcome", "step_list", "error"]
    readonly_fields = fields
    verbose_name_plural = "handshakes"
    max_num = 10

    @admin.display(description="outcome")
    def outcome(self, obj):
        return {True: "succeeded", False: "failed", None: "running"}[obj.succeeded]

    @admin.display(description="steps")
    def step_list(self, obj):
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((s["step"],) for s in obj.steps)))


def _version_choices():
    return [("", "highest mutual"), *((d.version, d.version) for d in all_dialects())]


class PartnerForm(forms.ModelForm):
    their_token = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        label="Their token",
        help_text="The token A they gave you, to register with them. Kept for calling them; never shown again.",
    )

    preset = forms.ChoiceField(
        required=False,
        choices=[("", "keep the settings below"), *((name, label) for name, (label, _) in PRESETS.items())],
        label="Apply a preset",
        help_text="Sets every compatibility setting below to the preset's value when saved; adjust them after.",
    )

    class Meta:
        model = Partner
        fields = ["name", "bound_party", "offered_parties", "versions_url", "their_token", *PROFILE_FIELDS]
        widgets = {"pinned_version": forms.Select(choices=_version_choices)}

    def clean(self):
        cleaned = super().clean()
        tenant = self.instance.tenant if self.instance.tenant_id else cleaned.get("tenant")
        offered = cleaned.get("offered_parties")
        if tenant is not None and offered is not None and any(p.tenant_id != tenant.pk for p in offered):
            self.add_error("offered_parties", "Choose parties of the partner's own tenant only.")
        return cleaned

    def save(self, commit=True):
        partner = super().save(commit=False)
        if self.cleaned_data.get("preset"):
            apply_preset(partner, self.cleaned_data["preset"])
        if self.cleaned_data.get("their_token"):
            partner.token_to_them = self.cleaned_data["their_token"]
        if commit:
            partner.save()
        return partner


@admin.register(Partner)
class PartnerAdmin(TenantScopedAdmin):
    form = PartnerForm
    change_form_template = "admin/partners/partner/change_form.html"
    list_display = ["name", "status", "version", "party_list", "last_contact_at", "last_error_short", "tenant"]
    list_filter = ["status", "version", "tenant"]
    search_fields = ["name", "parties__party_id"]
    readonly_fields = [
        "status",
        "version",
        "has_their_token",
        "created",
        "registered_at",
        "suspended_at",
        "unregistered_at",
        "last_contact_at",
        "last_error",
        "profile_preset",
    ]
    fieldsets = [
        (None, {"fields": ["name", "bound_party", "offered_parties", "status", "version"]}),
        ("Their platform", {"fields": ["versions_url", "their_token", "has_their_token"]}),
        (
            "Compatibility profile",
            {
                "fields": ["preset", "profile_preset", *PROFILE_FIELDS],
                "description": "How this partner deviates from the spec; read only where we talk to them. "
                "Diagnose proposes settings from what they answer.",
            },
        ),
        (
            "History",
            {
                "fields": [
                    "created",
                    "registered_at",
                    "suspended_at",
                    "unregistered_at",
                    "last_contact_at",
                    "last_error",
                ]
            },
        ),
    ]
    inlines = [PartnerPartyInline, ClientInfoInline, PartnerEndpointInline, AccessTokenInline, HandshakeInline]

    def get_inlines(self, request, obj):
        """The reachable parties only on a hub's page."""
        is_hub = obj is not None and obj.parties.filter(role=Role.HUB).exists()
        return [inline for inline in self.inlines if is_hub or inline is not ClientInfoInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.bound_party_id is None:
            bound = default_bound_party(obj.tenant)
            if bound is not None:
                Partner.objects.filter(pk=obj.pk).update(bound_party=bound)

    @admin.display(description="parties")
    def party_list(self, obj: Partner) -> str:
        return ", ".join(str(p) for p in obj.parties.all())

    @admin.display(description="last error")
    def last_error_short(self, obj: Partner) -> str:
        return obj.last_error[:80]

    @admin.display(description="token to call them", boolean=True)
    def has_their_token(self, obj: Partner) -> bool:
        return bool(obj.token_to_them)

    @admin.display(description="Settings now")
    def profile_preset(self, obj: Partner) -> str:
        name = matching_preset(obj) if obj.pk else None
        return PRESETS[name][0] if name else "custom"

    def get_urls(self):
        actions = [
            ("generate-token", self.generate_token_view),
            ("register", self.register_view),
            ("update-credentials", self.update_view),
            ("unregister", self.unregister_view),
            ("suspend", self.suspend_view),
            ("resume", self.resume_view),
            ("test-connection", self.test_connection_view),
            ("diagnose", self.diagnose_view),
            ("apply-diagnosis", self.apply_diagnosis_view),
            ("resync", self.resync_view),
        ]
        custom = [
            path(
                f"<int:pk>/{name}/", self.admin_site.admin_view(view), name=f"partners_partner_{name.replace('-', '_')}"
            )
            for name, view in actions
        ]
        return custom + super().get_urls()

    def _partner_for_post(self, request, pk) -> Partner:
        if request.method != "POST":
            raise PermissionDenied
        partner = self.get_queryset(request).filter(pk=pk).first()
        if partner is None or not self.has_change_permission(request, partner):
            raise PermissionDenied
        return partner

    def _back(self, partner):
        return HttpResponseRedirect(reverse("admin:partners_partner_change", args=[partner.pk]))

    def generate_token_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        partner, token = issue_registration_token(tenant=partner.tenant, partner_name=partner.name)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Registration token for {partner.name}",
            "partner": partner,
            "token": token,
            "versions_url": partner.tenant.versions_url,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/partners/partner/registration_token.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def register_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        register_with_partner_task.delay(partner.pk)
        self.message_user(request, "Registration started: the handshake below shows its progress.", messages.INFO)
        return self._back(partner)

    def update_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        update_with_partner_task.delay(partner.pk, request.POST.get("version") or None)
        self.message_user(request, "Credentials update started: new tokens both ways.", messages.INFO)
        return self._back(partner)

    def unregister_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        result = handshake.unregister_with_partner(partner=partner)
        level = messages.SUCCESS if result.succeeded else messages.WARNING
        self.message_user(request, result.error or "Unregistered: tokens revoked both ways.", level)
        return self._back(partner)

    def suspend_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        if handshake.suspend(partner=partner):
            self.message_user(request, "Suspended: their requests are refused and nothing is sent.", messages.SUCCESS)
        else:
            self.message_user(request, "Only a registered partner can be suspended.", messages.WARNING)
        return self._back(partner)

    def resume_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        if handshake.suspend(partner=partner, suspended=False):
            self.message_user(request, "Resumed: registered again.", messages.SUCCESS)
        else:
            self.message_user(request, "Only a suspended partner can be resumed.", messages.WARNING)
        return self._back(partner)

    def test_connection_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        result = handshake.check_connection(partner=partner)
        if result.ok:
            versions = ", ".join(f"{v} at {url}" for v, url in sorted(result.versions.items())) or "no versions"
            self.message_user(request, f"Reached them ({result.detail}): {versions}", messages.SUCCESS)
        else:
            self.message_user(request, f"Could not reach them: {result.detail}", messages.ERROR)
        return self._back(partner)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page shows the partner's recent initial syncs, module by module, with their progress."""
        partner = self.get_queryset(request).filter(pk=object_id).first()
        runs = list(partner.initial_syncs.all()[:20]) if partner is not None else []
        extra_context = {**(extra_context or {}), "initial_syncs": initialsync.progress(runs)}
        return super().change_view(request, object_id, form_url, extra_context)

    def resync_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        initial_sync_task.delay(partner.pk, f"resync by {request.user.get_username()}")
        self.message_user(
            request,
            f"Resync started as their initial sync setting says ({partner.get_initial_sync_display()}): "
            "its progress is shown below.",
            messages.INFO,
        )
        return self._back(partner)

    def diagnose_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        report = diagnose(tenant=partner.tenant, partner=partner)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Diagnosis of {partner.name}",
            "partner": partner,
            "report": report,
            # What Apply sets is what this page shows, signed for this partner: the button carries no values
            # an operator could change on the way.
            "signed_proposals": signing.dumps(
                {"partner": partner.pk, "proposals": report.proposals}, salt=_DIAGNOSIS_SALT
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/partners/partner/diagnosis.html", context)

    def apply_diagnosis_view(self, request, pk):
        partner = self._partner_for_post(request, pk)
        try:
            signed = signing.loads(request.POST.get("proposals", ""), salt=_DIAGNOSIS_SALT, max_age=_DIAGNOSIS_MAX_AGE)
        except signing.BadSignature:
            self.message_user(request, "That diagnosis is stale or not this page's: diagnose again.", messages.ERROR)
            return self._back(partner)
        if signed["partner"] != partner.pk:
            raise PermissionDenied
        applied = apply_proposals(tenant=partner.tenant, partner=partner, proposals=signed["proposals"])
        if applied:
            text = ", ".join(f"{name} = {value!r}" for name, value in applied.items())
            self.message_user(request, f"Applied the diagnosis: {text}.", messages.SUCCESS)
        else:
            self.message_user(request, "Nothing to apply: the settings already cope.", messages.INFO)
        return self._back(partner)
