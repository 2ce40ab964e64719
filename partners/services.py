"""Services of the partners app: provisioning tenants and their parties, issuing registration tokens."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from partners.models import AccessToken, Partner, PartnerParty, PartnerStatus, Party, Role, Tenant, TokenKind


@dataclass(frozen=True)
class PartySpec:
    country_code: str
    party_id: str
    role: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> PartySpec:
        """`CC:PARTY_ID:ROLE[:Business name]`, e.g. `NL:CPO:CPO:Demo Charging`."""
        parts = text.split(":", 3)
        if len(parts) < 3:
            raise ValueError(f"party {text!r} is not CC:PARTY_ID:ROLE")
        country_code, party_id, role = parts[0].upper(), parts[1].upper(), parts[2].upper()
        if role not in Role.values:
            raise ValueError(f"role {role!r} is not one of {', '.join(Role.values)}")
        if len(country_code) != 2 or not country_code.isalpha():
            raise ValueError(f"country code {country_code!r} must be two letters")
        if len(party_id) != 3 or not party_id.isalnum():
            raise ValueError(f"party id {party_id!r} must be three letters or digits")
        return cls(country_code, party_id, role, parts[3] if len(parts) == 4 else "")


@transaction.atomic
def provision_tenant(*, slug: str, name: str, parties: list[PartySpec], is_active: bool = True) -> Tenant:
    """Create or update a tenant and make sure it has these parties (idempotent)."""
    tenant, _ = Tenant.objects.update_or_create(slug=slug, defaults={"name": name, "is_active": is_active})
    for spec in parties:
        Party.objects.update_or_create(
            tenant=tenant,
            country_code=spec.country_code,
            party_id=spec.party_id,
            role=spec.role,
            defaults={"name": spec.name or name},
        )
    return tenant


def default_bound_party(tenant: Tenant) -> Party | None:
    """The party a new partner is bound to: the tenant's only CPO or eMSP party, if it has just one."""
    own = list(Party.objects.for_tenant(tenant).filter(role__in=[Role.CPO, Role.EMSP])[:2])
    return own[0] if len(own) == 1 else None


@transaction.atomic
def issue_registration_token(*, tenant: Tenant, partner_name: str) -> tuple[Partner, str]:
    """A fresh token A for the partner (created if needed); earlier unused tokens A stop working.

    The raw token is returned once; only its hash is stored.
    """
    partner, created = Partner.objects.for_tenant(tenant).get_or_create(
        name=partner_name, defaults={"tenant": tenant, "bound_party": default_bound_party(tenant)}
    )
    AccessToken.objects.for_tenant(tenant).filter(partner=partner, kind=TokenKind.REGISTRATION).active().update(
        revoked_at=_now()
    )
    if partner.status == PartnerStatus.UNREGISTERED:
        partner.set_status(PartnerStatus.PENDING)
        partner.save()
    _, raw = AccessToken.issue(partner=partner, kind=TokenKind.REGISTRATION)
    return partner, raw


def connection_parties(*, tenant: Tenant, partner: Partner, dialect) -> list[Party]:
    """The tenant parties a connection speaks for.

    For a version that carries one party per connection (2.1.1): the party bound to the partner, or the
    tenant's only party of a role the version knows. Otherwise every such party, or those the operator chose
    to offer this partner (Partner.offered_parties); a tenant with a HUB party speaks as the hub alone
    (credentials: "A Hub SHALL only report itself as role: Hub"). One query."""
    offered = Partner.offered_parties.through.objects.filter(partner_id=partner.pk)
    rows = Party.objects.for_tenant(tenant).annotate(
        is_offered=Exists(offered.filter(party_id=OuterRef("pk"))), any_offered=Exists(offered)
    )
    parties = [p for p in rows if dialect.supports_role(p.role)]
    if dialect.one_party_per_connection:
        if partner.bound_party_id:
            return [p for p in parties if p.pk == partner.bound_party_id]
        return parties if len(parties) == 1 else []
    hubs = [p for p in parties if p.role == Role.HUB]
    if hubs:
        return hubs
    return [p for p in parties if p.is_offered] if parties and parties[0].any_offered else parties


def hub_clients(*, tenant: Tenant, partner: Partner) -> list[PartnerParty]:
    """The parties a hub tenant connects, other than `partner`'s own: reachable through the hub."""
    return list(PartnerParty.objects.for_tenant(tenant).exclude(partner=partner).exclude(role=Role.HUB).order_by("pk"))


def _now():
    from django.utils import timezone

    return timezone.now()
