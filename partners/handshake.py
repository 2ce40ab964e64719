"""The credentials handshake in both directions and both versions (credentials chapter, 2.1.1 and 2.2.1).

They register with us: the operator issues token A; the partner POSTs its credentials (token B,
versions URL, roles) with it; we call their versions and details with B, store what we found,
issue token C and answer with our credentials. We register with them: the mirror image, with
the token A they gave us. PUT rotates tokens and switches versions (for a partner that takes no PUT:
DELETE, then POST again); DELETE unregisters. Reading their versions and details, with the token form
probed as the partner's profile allows, is roaming.ocpi.versions.discover.

Every remote call comes before the one transaction that writes the connection (_store_connection, the
only place a connection is written), so a failed handshake leaves the partner as it was; the exception
is a POST failing after the DELETE of a re-registration, which leaves it unregistered with the reason.
Each exchange is recorded step by step in a Handshake row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.models import (
    AccessToken,
    Handshake,
    HandshakeDirection,
    Partner,
    PartnerEndpoint,
    PartnerParty,
    PartnerStatus,
    Party,
    Role,
    Tenant,
    TokenKind,
)
from partners.profile import TokenForm
from partners.services import connection_parties, hub_clients
from roaming.ocpi.client import OcpiClient, PartnerError, client_for
from roaming.ocpi.credentials import Credentials, CredentialsRole
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import all_dialects, dialect_of
from roaming.ocpi.errors import InvalidParameters, MethodNotAllowed, NoMatchingEndpoints, OcpiError
from roaming.ocpi.versions import Discovery, discover, first_token_form, get_probing, versions_list_from_wire
from roaming.services import initialsync
from roaming.services.hubclientinfo import connection_changed
from roaming.services.sync import ensure_sync_states

logger = logging.getLogger(__name__)

_OPPOSITE_ROLE = {Role.CPO: Role.EMSP, Role.EMSP: Role.CPO}


class HandshakeFailed(Exception):
    """Registering with a partner failed; the message says at which step and why."""


# -- what we tell partners ---------------------------------------------------------------------


def _business_details(party: Party) -> dict:
    logo = None
    if party.logo_url:
        logo = {
            "url": party.logo_url,
            "thumbnail": party.logo_thumbnail or None,
            "category": party.logo_category or "OPERATOR",
            "type": party.logo_type or "png",
            "width": party.logo_width,
            "height": party.logo_height,
        }
    return {"name": party.name, "website": party.website or None, "logo": logo}


def our_credentials(*, tenant: Tenant, partner: Partner, dialect: Dialect, token: str) -> Credentials:
    """Our credentials for this connection: the bound party in 2.1.1, every role of the tenant in 2.2.1."""
    parties = connection_parties(tenant=tenant, partner=partner, dialect=dialect)
    if not parties:
        raise NoMatchingEndpoints(
            f"Tenant {tenant.slug} has no party this OCPI {dialect} connection can speak for: bind the partner to one"
        )
    if dialect.hub_clients_are_roles and any(p.role == Role.HUB for p in parties):
        parties = [*parties, *hub_clients(tenant=tenant, partner=partner)]
    roles = tuple(CredentialsRole(p.role, p.country_code, p.party_id, _business_details(p)) for p in parties)
    return Credentials(token=token, url=tenant.versions_url, roles=roles)


def peer_role(*, tenant: Tenant, partner: Partner, dialect: Dialect) -> str | None:
    """The partner's role on a one-party connection (2.1.1): the opposite of the party we bind to it."""
    if not dialect.one_party_per_connection:
        return None
    parties = connection_parties(tenant=tenant, partner=partner, dialect=dialect)
    return _OPPOSITE_ROLE.get(parties[0].role) if parties else None


# -- recording progress --------------------------------------------------------------------------


@dataclass
class Progress:
    """Appends steps to a Handshake row as they happen, outside any transaction, so failures stay visible."""

    handshake: Handshake

    @classmethod
    def start(cls, partner: Partner, direction: str, action: str) -> Progress:
        return cls(
            Handshake.objects.create(tenant_id=partner.tenant_id, partner=partner, direction=direction, action=action)
        )

    def step(self, text: str) -> None:
        self.handshake.steps = [*self.handshake.steps, {"at": timezone.now().isoformat(), "step": text}]
        self.handshake.save(update_fields=["steps"])

    def finish(self, error: str = "") -> Handshake:
        self.handshake.finished = timezone.now()
        self.handshake.succeeded = not error
        self.handshake.error = error
        self.handshake.save(update_fields=["finished", "succeeded", "error"])
        if error:
            Partner.objects.filter(pk=self.handshake.partner_id).update(last_error=error)
        return self.handshake


# -- writing the connection ----------------------------------------------------------------------


def _token_form_learned(partner: Partner, discovery: Discovery) -> str:
    """Record on the partner the token form their versions and details accepted, when it is not the form its
    setting sends (a form pinned by hand and refused, or AUTO where they take the other one); returns the
    step saying so, or ""."""
    worked = discovery.token_form
    if first_token_form(partner.send_token_form, discovery.dialect) == worked:
        return ""
    partner.send_token_form = worked
    why = "; ".join(discovery.token_refusals) or f"their versions and details took {TokenForm(worked).label}"
    return f"token form recorded: send_token_form = {worked} ({why})"


def _connection_change(partner: Partner, discovery: Discovery) -> str:
    """What a connection about to be stored changes that calls for an initial sync: a registration, another
    version or other endpoints ('' when only tokens rotate)."""
    if not partner.is_registered:
        return "registration"
    if partner.version != discovery.dialect.version:
        return f"version {partner.version or '-'} → {discovery.dialect.version}"
    stored = set(PartnerEndpoint.objects.filter(partner=partner).values_list("identifier", "role", "url"))
    if stored != {(e.identifier, e.role, e.url) for e in discovery.endpoints}:
        return "endpoints changed"
    return ""


def _store_connection(
    partner: Partner, *, credentials: Credentials, discovery: Discovery, progress: Progress, answering: bool
) -> None:
    """Inside a transaction: the partner's version, endpoints, parties, token and token form, as just negotiated;
    and, when the connection is new or its version or endpoints changed, the initial sync it is owed
    (roaming.services.initialsync). A partner whose request we are `answering` stores our credentials only once
    it has our answer, so its initial sync waits INITIAL_SYNC_DELAY_SECONDS.

    The one place a connection is written, whichever side registered and whether by POST or PUT."""
    change = _connection_change(partner, discovery)
    partner.versions_url = credentials.url if credentials.url else partner.versions_url
    partner.version = discovery.dialect.version
    partner.token_to_them = credentials.token
    learned = _token_form_learned(partner, discovery)
    if learned:
        progress.step(learned)
    partner.last_error = ""
    partner.last_contact_at = timezone.now()
    partner.set_status(PartnerStatus.REGISTERED)
    partner.save()
    PartnerEndpoint.objects.filter(partner=partner).delete()
    PartnerEndpoint.objects.bulk_create(
        PartnerEndpoint(tenant_id=partner.tenant_id, partner=partner, identifier=e.identifier, role=e.role, url=e.url)
        for e in discovery.endpoints
    )
    ensure_sync_states(partner=partner)
    PartnerParty.objects.filter(partner=partner).delete()
    PartnerParty.objects.bulk_create(
        PartnerParty(
            tenant_id=partner.tenant_id,
            partner=partner,
            country_code=r.country_code,
            party_id=r.party_id,
            role=r.role,
            name=(r.business_details.get("name") or "")[:100],
            website=r.business_details.get("website") or "",
            logo_url=(r.business_details.get("logo") or {}).get("url") or "",
        )
        for r in credentials.roles
    )
    connection_changed(partner=partner)
    if change:
        initialsync.owe(partner=partner, reason=change, after=settings.INITIAL_SYNC_DELAY_SECONDS if answering else 0)


def _revoke_tokens(partner: Partner, *, keep: AccessToken | None = None) -> None:
    tokens = AccessToken.objects.filter(partner=partner).active()
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    tokens.update(revoked_at=timezone.now())


def _locked(partner: Partner) -> Partner:
    return Partner.objects.select_for_update().get(pk=partner.pk)


# -- they call us ----------------------------------------------------------------------------------


def _incoming(*, tenant: Tenant, partner: Partner, dialect: Dialect, body) -> Credentials:
    if not isinstance(body, dict):
        raise InvalidParameters("Body must be a credentials object")
    role = peer_role(tenant=tenant, partner=partner, dialect=dialect)
    if dialect.one_party_per_connection and role is None:
        raise NoMatchingEndpoints(f"Tenant {tenant.slug} has no party bound to this partner for OCPI {dialect}")
    return dialect.module("credentials").from_wire(body, peer_role=role)


def _answer_with_new_token(
    *, tenant: Tenant, partner: Partner, dialect: Dialect, incoming: Credentials, progress: Progress
) -> dict:
    discovery = discover(
        versions_url=incoming.url,
        token=incoming.token,
        profile=partner.profile,
        version=dialect.version,
        role_of_peer=lambda d: peer_role(tenant=tenant, partner=partner, dialect=d),
        note=progress.step,
    )
    with transaction.atomic():
        partner = _locked(partner)
        _store_connection(partner, credentials=incoming, discovery=discovery, progress=progress, answering=True)
        token, raw = AccessToken.issue(partner=partner, kind=TokenKind.ACCESS)
        _revoke_tokens(partner, keep=token)
        answer = dialect.module("credentials").to_wire(
            our_credentials(tenant=tenant, partner=partner, dialect=dialect, token=raw)
        )
    progress.step("stored their endpoints and token; issued token C")
    progress.finish()
    return answer


def _guarded(progress: Progress, action):
    try:
        return action()
    except OcpiError as exc:
        progress.finish(exc.message)
        raise


def accept_registration(*, tenant: Tenant, partner: Partner, dialect: Dialect, body) -> dict:
    """POST credentials: they register with us using token A; returns our credentials with token C."""
    if partner.is_registered:
        raise MethodNotAllowed("Already registered: use PUT to update credentials")
    incoming = _incoming(tenant=tenant, partner=partner, dialect=dialect, body=body)
    progress = Progress.start(partner, HandshakeDirection.INBOUND, "register")
    progress.step(f"POST credentials in OCPI {dialect} from {incoming.url}")
    return _guarded(
        progress,
        lambda: _answer_with_new_token(
            tenant=tenant, partner=partner, dialect=dialect, incoming=incoming, progress=progress
        ),
    )


def accept_update(*, tenant: Tenant, partner: Partner, dialect: Dialect, body) -> dict:
    """PUT credentials: new token B and/or version; we re-read their endpoints and issue a new token C."""
    if not partner.is_registered:
        raise MethodNotAllowed("Not registered: use POST to register")
    incoming = _incoming(tenant=tenant, partner=partner, dialect=dialect, body=body)
    progress = Progress.start(partner, HandshakeDirection.INBOUND, "update")
    progress.step(f"PUT credentials in OCPI {dialect} from {incoming.url}")
    return _guarded(
        progress,
        lambda: _answer_with_new_token(
            tenant=tenant, partner=partner, dialect=dialect, incoming=incoming, progress=progress
        ),
    )


def unregister(*, partner: Partner) -> None:
    """Stop all traffic with the partner: its tokens die, ours is forgotten; history stays."""
    with transaction.atomic():
        partner = _locked(partner)
        _revoke_tokens(partner)
        partner.token_to_them = ""
        partner.set_status(PartnerStatus.UNREGISTERED)
        partner.save()
        connection_changed(partner=partner)


def suspend(*, partner: Partner, suspended: bool = True) -> bool:
    """Refuse a registered partner's requests and send it nothing (or, with suspended=False, resume it); its
    tokens stay. A hub tells its other partners. Returns whether the status changed."""
    before, after = (
        (PartnerStatus.REGISTERED, PartnerStatus.SUSPENDED)
        if suspended
        else (PartnerStatus.SUSPENDED, PartnerStatus.REGISTERED)
    )
    with transaction.atomic():
        partner = _locked(partner)
        if partner.status != before:
            return False
        if suspended:
            partner.set_status(after)
        else:
            partner.status = after  # registered_at keeps the registration's time
        partner.save()
        connection_changed(partner=partner)
    return True


def accept_unregister(*, tenant: Tenant, partner: Partner) -> None:
    """DELETE credentials: they unregister."""
    if not partner.is_registered:
        raise MethodNotAllowed("Not registered")
    progress = Progress.start(partner, HandshakeDirection.INBOUND, "unregister")
    unregister(partner=partner)
    progress.finish()


# -- we call them ----------------------------------------------------------------------------------


def _drop_registration(partner: Partner, *, client: OcpiClient, fallback_url: str, progress: Progress) -> None:
    """DELETE our registration at the partner (their credentials endpoint of the connection as it is);
    HandshakeFailed, with nothing changed on either side, when they do not take it."""
    endpoint = PartnerEndpoint.objects.for_tenant(partner.tenant_id).filter(partner=partner, identifier="credentials")
    url = next((e.url for e in endpoint), fallback_url)
    progress.step(f"they take no credentials PUT (credentials_put off): DELETE our registration at {url}")
    try:
        client.delete(url)
    except PartnerError as exc:
        raise HandshakeFailed(f"DELETE {url} failed ({exc}); nothing changed, still registered") from exc
    progress.step(f"DELETE {url}: done, registering again")


def _exchange(
    partner: Partner, *, progress: Progress, method: str, token: str, version: str | None, replace: bool = False
) -> Handshake:
    """POST (register) or PUT (update) our credentials to the partner and store what they answer. With
    `replace`, the update of a partner that takes no PUT: DELETE our registration, then POST it again with
    the same token; a failure after the DELETE leaves the connection down (UNREGISTERED), with the reason."""
    tenant = partner.tenant
    profile = partner.profile
    role_of_peer = lambda d: peer_role(tenant=tenant, partner=partner, dialect=d)  # noqa: E731
    issued: AccessToken | None = None
    dropped = False
    try:
        discovery = discover(
            versions_url=partner.versions_url,
            token=token,
            profile=profile,
            version=version,
            role_of_peer=role_of_peer,
            note=progress.step,
        )
        dialect = discovery.dialect
        credentials_url = next(e.url for e in discovery.endpoints if e.identifier == "credentials")
        client = OcpiClient(dialect=dialect, token=token, token_form=discovery.token_form, profile=profile)
        if replace:
            _drop_registration(partner, client=client, fallback_url=credentials_url, progress=progress)
            dropped = True
        # They call back into our versions and details with this token while our request is open,
        # so it must be committed before we send it.
        issued, raw = AccessToken.issue(partner=partner, kind=TokenKind.ACCESS)
        ours = our_credentials(tenant=tenant, partner=partner, dialect=dialect, token=raw)
        progress.step(f"{method} our credentials to {credentials_url}")
        try:
            result = client.request(method, credentials_url, json=dialect.module("credentials").to_wire(ours))
        except PartnerError as exc:
            raise HandshakeFailed(f"{method} {credentials_url} failed: {exc}") from exc
        try:
            # Their credentials, also when sent as a one-element list, in HTTP 200 or 201.
            theirs = dialect.module("credentials").from_wire(result.object(), peer_role=role_of_peer(dialect))
        except InvalidParameters as exc:
            raise HandshakeFailed(f"Their credentials answer is invalid: {exc.message}") from exc
        with transaction.atomic():
            locked = _locked(partner)
            _store_connection(
                locked,
                credentials=Credentials(theirs.token, partner.versions_url, theirs.roles),
                discovery=discovery,
                progress=progress,
                answering=False,
            )
            _revoke_tokens(locked, keep=issued)
        progress.step(f"registered in OCPI {dialect}; stored their token and {len(discovery.endpoints)} endpoints")
        return progress.finish()
    except (OcpiError, HandshakeFailed) as exc:
        if issued is not None:
            AccessToken.objects.filter(pk=issued.pk).update(revoked_at=timezone.now())
        message = exc.message if isinstance(exc, OcpiError) else str(exc)
        if dropped:
            unregister(partner=partner)
            message = (
                f"{message}. Our registration with them was deleted and not made again, so the connection is down "
                "(unregistered): ask them for a new token A and register again"
            )
            progress.step("unregistered here: they no longer know us")
        return progress.finish(message)


def register_with_partner(*, partner: Partner) -> Handshake:
    """We register with them, using their versions URL and the token A they gave us (Partner.token_to_them)."""
    progress = Progress.start(partner, HandshakeDirection.OUTBOUND, "register")
    if partner.is_registered:
        return progress.finish("Already registered: update the credentials instead")
    if not partner.versions_url or not partner.token_to_them:
        return progress.finish("Enter the partner's versions URL and the token A they gave you first")
    return _exchange(partner, progress=progress, method="POST", token=partner.token_to_them, version=None)


def update_with_partner(*, partner: Partner, version: str | None = None) -> Handshake:
    """New tokens both ways, endpoints re-read, optionally another version: a PUT of our credentials, or for a
    partner that takes none (credentials_put off, as Gireve asks) a DELETE of our registration and a POST
    of our credentials again with the token we hold for them."""
    progress = Progress.start(partner, HandshakeDirection.OUTBOUND, "update")
    if not partner.is_registered:
        return progress.finish("Not registered: register first")
    if partner.profile.credentials_put:
        return _exchange(partner, progress=progress, method="PUT", token=partner.token_to_them, version=version)
    return _exchange(
        partner, progress=progress, method="POST", token=partner.token_to_them, version=version, replace=True
    )


def unregister_with_partner(*, partner: Partner) -> Handshake:
    """DELETE our credentials at the partner, then stop all traffic with it whatever they answered."""
    progress = Progress.start(partner, HandshakeDirection.OUTBOUND, "unregister")
    if not partner.is_registered:
        return progress.finish("Not registered")
    error = ""
    endpoint = partner.endpoints.filter(identifier="credentials").first()
    if endpoint is not None:
        try:
            client_for(partner).delete(endpoint.url)
            progress.step(f"DELETE {endpoint.url}: done")
        except PartnerError as exc:
            error = f"DELETE {endpoint.url} failed ({exc}); unregistered here all the same"
            progress.step(error)
    unregister(partner=partner)
    return progress.finish(error)


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    detail: str
    versions: dict


def check_connection(*, partner: Partner) -> ConnectionTest:
    """Call their versions endpoint with the token we hold and say what came back."""
    if not partner.versions_url or not partner.token_to_them:
        return ConnectionTest(False, "No versions URL or token to call them with", {})
    dialect = (dialect_of(partner)) or all_dialects()[0]
    profile = partner.profile
    try:
        probed = get_probing(
            partner.versions_url,
            dialect=dialect,
            token=partner.token_to_them,
            form=first_token_form(profile.send_token_form, dialect),
            profile=profile,
        )
        versions = versions_list_from_wire(probed.result.data)
    except (PartnerError, ValueError) as exc:
        return ConnectionTest(False, str(exc), {})
    Partner.objects.filter(pk=partner.pk).update(last_contact_at=timezone.now())
    return ConnectionTest(True, f"HTTP {probed.result.http_status}, token {probed.attempts()}", versions.urls)
