"""Invoice Reconciliation endpoints (2.3.0 mod_invoice_reconciliation; versions without it answer 404).

Sender (a tenant's CPO or eMSP parties, as they issue invoices): the paginated list of the records meant for
the caller. Receiver (the same parties, as they receive invoices): POST of a new record to the endpoint
itself, answered with the Location of the stored record, and GET, PUT and DELETE of
/{country_code}/{party_id}/{id}, where a partner writes only its own parties' records.
"""

from __future__ import annotations

from partners.models import InterfaceRole
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.ocpi.errors import NotFound
from roaming.services import invoicereconciliation as records

MODULE = "invoicereconciliation"
SEGMENT_LIMITS = {"country_code": 2, "party_id": 3, "record_id": 36}


class InvoiceReconciliationView(OcpiView):
    @property
    def translator(self):
        if not self.dialect.has_module(MODULE):
            raise NotFound(f"OCPI {self.dialect} has no {MODULE} module")
        return self.dialect.module(MODULE)


class SenderListView(InvoiceReconciliationView):
    def get(self, request, tenant, version):
        translator = self.translator
        queryset = records.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
        meant_for = records.for_partner(self.partner, list(queryset))
        return self.paginated(queryset, lambda page: [translator.to_wire(r) for r in page], keep=meant_for)


class ReceiverPostView(InvoiceReconciliationView):
    def post(self, request, tenant, version):
        data = self.translator.from_wire(self.body())
        self.ensure_owner(data["country_code"], data["party_id"])  # after validation: a malformed owner is 2001
        change = records.post_record(tenant=self.tenant, partner=self.partner, data=data)
        url = self.tenant_url(version, "receiver", MODULE, change.object_path)
        return self.ok(http_status=201 if change.created else 200, headers={"Location": url})


class ReceiverView(InvoiceReconciliationView):
    checks_owner = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.translator  # noqa: B018 - a version without the module answers 404 before anything is read
        self.ensure_owner(kwargs["country_code"], kwargs["party_id"])

    def owner(self, country_code, party_id, record_id) -> dict:
        return {
            "tenant": self.tenant,
            "partner": self.partner,
            "country_code": country_code,
            "party_id": party_id,
            "record_id": record_id,
        }

    def get(self, request, tenant, version, country_code, party_id, record_id):
        queryset = records.owned_by(tenant=self.tenant, country_code=country_code, party_id=party_id)
        return self.ok(self.translator.to_wire(records.find(queryset, record_id=record_id)))

    def put(self, request, tenant, version, country_code, party_id, record_id):
        data = self.translator.from_wire(self.body())
        change = records.put_record(**self.owner(country_code, party_id, record_id), data=data)
        return self.ok(http_status=201 if change.created else 200)

    def delete(self, request, tenant, version, country_code, party_id, record_id):
        records.delete_record(**self.owner(country_code, party_id, record_id))
        return self.ok()


ROUTES = (
    # Either side may issue invoices (direct or reverse billing): any CPO or eMSP party implements both.
    Route(MODULE, InterfaceRole.SENDER, None, views=[("", SenderListView)], segment_limits=SEGMENT_LIMITS),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        None,
        views=[
            ("", ReceiverPostView),
            (r"/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<record_id>[^/]+)", ReceiverView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
)
