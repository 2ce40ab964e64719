"""Invoice Reconciliation records (2.3.0): issued here, or received."""

import copy

from django import forms
from django.contrib import admin

from partners.admin_scoping import TenantScopedAdmin, operator_tenant
from partners.models import Party
from roaming.models import InvoiceReconciliationRecord
from roaming.services import invoicereconciliation as invoicereconciliation_service


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
