"""Authorization: `Token <token>`, raw (2.1.1) or Base64 (2.2.1), looked up by hash.

Both forms are accepted for both versions (2.2.1-d2 itself notes that many peers send the raw
token) unless the partner's profile is strict. Token A opens only versions and credentials.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from partners.models import AccessToken, PartnerStatus, TokenKind, hash_token
from roaming.ocpi.errors import Unauthorized


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


def authenticate_header(header: str, *, tenant, dialect) -> AccessToken:
    """The live token of a partner of `tenant` that the header carries, or Unauthorized."""
    if not header:
        raise Unauthorized("Missing Authorization header")
    prefer_base64 = dialect.token_base64 if dialect is not None else False
    candidates = token_candidates(header, prefer_base64=prefer_base64)
    if not candidates:
        raise Unauthorized("Authorization header must be 'Token <token>'")
    found = {
        t.token_hash: t
        for t in AccessToken.objects.for_tenant(tenant)
        .active()
        .select_related("partner")
        .filter(token_hash__in=[hash_token(c.value) for c in candidates])
    }
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
    raise Unauthorized("Unknown token")


class OcpiTokenAuthentication(BaseAuthentication):
    """DRF authentication: the request's tenant and dialect are resolved from the URL beforehand."""

    def authenticate(self, request):
        token = authenticate_header(
            request.headers.get("Authorization", ""),
            tenant=request.tenant,
            dialect=getattr(request, "dialect", None),
        )
        return token.partner, token

    def authenticate_header(self, request) -> str:
        return "Token"


class IsPartner(BasePermission):
    """Any authenticated partner; token A only where the view allows registration (versions, credentials)."""

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if token is None:
            raise Unauthorized("Missing Authorization header")
        if token.kind == TokenKind.REGISTRATION and not getattr(view, "allows_registration_token", False):
            raise Unauthorized("The registration token opens only the versions and credentials endpoints")
        return True
