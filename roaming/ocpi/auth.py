"""Authorization: `Token <token>`, raw (2.1.1) or Base64 (2.2.1), looked up by hash.

Both forms are accepted for both versions (2.2.1-d2 itself notes that many peers send the raw
token) unless the partner's profile is strict. Token A opens only versions and credentials.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from partners.models import AccessToken, PartnerStatus, Tenant, TokenKind, hash_token
from partners.selectors import live_tokens
from roaming.ocpi.errors import NotFound, Unauthorized


@dataclass(frozen=True)
class TokenCandidate:
    value: str
    base64: bool


def token_candidates(header: str, *, prefer_base64: bool) -> list[TokenCandidate]:
    """The tokens an Authorization header may carry, the dialect's own form first."""
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "token" or not credential:
        return []
    candidates = [TokenCandidate(credential, base64=False)]
    try:
        decoded = base64.b64decode(credential, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded.isprintable() and " " not in decoded:
        candidates.append(TokenCandidate(decoded, base64=True))
    candidates.sort(key=lambda c: c.base64 != prefer_base64)
    return candidates


def authenticate_header(
    header: str,
    *,
    tenant_slug: str,
    dialect,
    owner: tuple[str, str] | None = None,
    to_party: tuple[str, str] | None = None,
    read: Callable[..., list[AccessToken]] | None = None,
) -> AccessToken:
    """The live token of a partner of the active tenant `tenant_slug` that the header carries, with its
    tenant and partner, in one query; NotFound for a tenant that does not exist, else Unauthorized.
    With `owner`, the same query reads the partner's parties a write under it is checked against
    (`.owner_and_hub_parties`, see partners.selectors.live_tokens). `read(tenant_slug=, token_hashes=)`
    stands in for live_tokens where the same statement reads more (roaming.services.tokens)."""
    candidates = token_candidates(header, prefer_base64=dialect.token_base64 if dialect is not None else False)
    hashes = [hash_token(c.value) for c in candidates]
    if read is None:
        live = live_tokens(tenant_slug=tenant_slug, token_hashes=hashes, owner=owner, to_party=to_party)
    else:
        live = read(tenant_slug=tenant_slug, token_hashes=hashes)
    found = {t.token_hash: t for t in live}
    for candidate in candidates:
        digest = hash_token(candidate.value)
        token = found.get(digest)
        # The index lookup finds the row; the comparison that decides is constant-time.
        if token is None or not hmac.compare_digest(token.token_hash, digest):
            continue
        partner = token.partner
        if partner.status in (PartnerStatus.SUSPENDED, PartnerStatus.UNREGISTERED):
            raise Unauthorized("Partner is not registered")
        if partner.strict_token_form and dialect is not None and candidate.base64 != dialect.token_base64:
            raise Unauthorized("Token is not in the form this OCPI version prescribes")
        token.presented = candidate.value  # the credentials GET answers with the token in use
        return token
    # Only a failed request pays for telling an unknown tenant (404) from an unknown token (401).
    if not Tenant.objects.filter(slug=tenant_slug, is_active=True).exists():
        raise NotFound(f"Unknown tenant {tenant_slug!r}")
    if not header:
        raise Unauthorized("Missing Authorization header")
    if not candidates:
        raise Unauthorized("Authorization header must be 'Token <token>'")
    raise Unauthorized("Unknown token")


def authenticate(
    request,
    *,
    owner: tuple[str, str] | None = None,
    to_party: tuple[str, str] | None = None,
    read: Callable[..., list[AccessToken]] | None = None,
):
    """(partner, token) of the request's Authorization header, the tenant set on the request; with `owner`
    or `read`, see authenticate_header."""
    token = authenticate_header(
        request.headers.get("Authorization", ""),
        tenant_slug=request.tenant_slug,
        dialect=getattr(request, "dialect", None),
        owner=owner,
        to_party=to_party,
        read=read,
    )
    request._request.tenant = token.tenant
    return token.partner, token


class OcpiTokenAuthentication(BaseAuthentication):
    """DRF authentication: the token names the partner and, with the URL's slug, the tenant."""

    def authenticate(self, request):
        return authenticate(request)

    def authenticate_header(self, request) -> str:
        return "Token"


def check_token_kind(token: AccessToken, *, allows_registration_token: bool) -> None:
    """Token A (the registration token) opens only the versions and credentials endpoints."""
    if token.kind == TokenKind.REGISTRATION and not allows_registration_token:
        raise Unauthorized("The registration token opens only the versions and credentials endpoints")


class IsPartner(BasePermission):
    """Any authenticated partner; token A only where the view allows registration (versions, credentials)."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if token is None:
            raise Unauthorized("Missing Authorization header")
        check_token_kind(token, allows_registration_token=getattr(view, "allows_registration_token", False))
        return True
