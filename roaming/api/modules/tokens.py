"""Tokens endpoints (mod_tokens, both versions).

Sender (a tenant's eMSP parties): the paginated list, and real-time authorization at
POST {uid}/authorize[?type=]. Receiver (a tenant's CPO parties): GET, PUT and PATCH of partners'
tokens under /{country_code}/{party_id}/{uid}[?type=].
"""

from __future__ import annotations

from partners.models import InterfaceRole, Role
from roaming.api.base import OcpiView
from roaming.api.lean import LeanCall
from roaming.api.routes import Route
from roaming.ocpi.auth import authenticate
from roaming.ocpi.errors import InvalidParameters
from roaming.services import tokens

MODULE = "tokens"
SEGMENT_LIMITS = {"country_code": 2, "party_id": 3, "uid": 36}


def token_type(query, dialect) -> str:
    """The ?type= of a token URL's `query`, RFID when absent; a type this version does not know is 2001."""
    value = query.get("type", tokens.DEFAULT_TYPE)
    if value not in dialect.module(MODULE).types:
        raise InvalidParameters(f"Query parameter 'type' is not a token type of OCPI {dialect}: {value!r}")
    return value


def receiver_token_type(view, body_type: str | None = None) -> str | None:
    """The type a receiver URL names: 2.2.1's ?type= (RFID when absent). A 2.1.1 receiver URL names none
    (mod_tokens.md 2.1): the body's type for a PUT, any type, RFID first, otherwise."""
    if "type" in view.request.query_params or view.dialect.module(MODULE).type_in_url:
        return token_type(view.request.query_params, view.dialect)
    return body_type


class SenderListView(OcpiView):
    def get(self, request, tenant, version):
        translator = self.dialect.module(MODULE)
        queryset = tokens.visible_to(tenant=self.tenant, partner=self.partner, dialect=self.dialect)
        return self.paginated(queryset, lambda page: [translator.to_wire(t) for t in page])


def authorization(*, dialect, uid: str, query, body, token) -> dict:
    """The AuthorizationInfo answering a POST {uid}/authorize with `body` (its JSON) and `query` (its ?type=), in
    the dialect's wire form; `token` is the caller's credentials token, read with the driver's (caller_tokens)."""
    translator = dialect.module(MODULE)
    location = translator.location_references_from_wire(body if body not in (None, "") else None)
    result = tokens.authorize_token(token.own_token, uid=uid, token_type=token_type(query, dialect), location=location)
    return translator.authorization_to_wire(result)


class AuthorizeView(OcpiView):
    @staticmethod
    def caller_tokens(kwargs: dict, query):
        """The reader of the caller's token that also reads the driver's token the URL names, in one statement.
        An invalid ?type= finds no token and is refused later, where the type is checked."""
        return tokens.caller_and_own_token(uid=kwargs["uid"], token_type=query.get("type", tokens.DEFAULT_TYPE))

    def perform_authentication(self, request):
        request.user, request.auth = authenticate(request, read=self.caller_tokens(self.kwargs, request.query_params))

    def post(self, request, tenant, version, uid):
        data = request.data
        return self.ok(
            authorization(dialect=self.dialect, uid=uid, query=request.query_params, body=data, token=request.auth)
        )

    @staticmethod
    def lean_post(call: LeanCall, body) -> dict:
        """The same answer on the lean path (roaming.api.lean), which serves this endpoint's plain requests."""
        return authorization(
            dialect=call.dialect, uid=call.kwargs["uid"], query=call.query, body=body, token=call.token
        )


class ReceiverView(OcpiView):
    checks_owner = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.ensure_owner(kwargs["country_code"], kwargs["party_id"])

    def get(self, request, tenant, version, country_code, party_id, uid):
        queryset = tokens.owned_by(tenant=self.tenant, country_code=country_code, party_id=party_id)
        token = tokens.find(queryset, uid=uid, token_type=receiver_token_type(self))
        return self.ok(self.dialect.module(MODULE).to_wire(token))

    def put(self, request, tenant, version, country_code, party_id, uid):
        body = self.body()
        data = self.received(MODULE, body, self.dialect.module(MODULE).from_wire(body, owner=(country_code, party_id)))
        change = tokens.put_token(
            tenant=self.tenant,
            partner=self.partner,
            country_code=country_code,
            party_id=party_id,
            uid=uid,
            token_type=receiver_token_type(self, data["type"]),
            data=data,
        )
        return self.ok(http_status=201 if change.created else 200)

    def patch(self, request, tenant, version, country_code, party_id, uid):
        fields = self.dialect.module(MODULE).patch_from_wire(self.body())
        tokens.patch_token(
            tenant=self.tenant,
            partner=self.partner,
            country_code=country_code,
            party_id=party_id,
            uid=uid,
            token_type=receiver_token_type(self),
            fields=fields,
        )
        return self.ok()


ROUTES = (
    Route(
        MODULE,
        InterfaceRole.SENDER,
        Role.EMSP,
        views=[("", SenderListView), (r"/(?P<uid>[^/]+)/authorize", AuthorizeView)],
        segment_limits=SEGMENT_LIMITS,
    ),
    Route(
        MODULE,
        InterfaceRole.RECEIVER,
        Role.CPO,
        views=[
            (r"/(?P<country_code>[^/]+)/(?P<party_id>[^/]+)/(?P<uid>[^/]+)", ReceiverView),
        ],
        segment_limits=SEGMENT_LIMITS,
    ),
)
