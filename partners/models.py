"""Tenants (operators hosted here), their OCPI parties, and the partners they connect with."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from partners.profile import CompatibilityFields, Profile, TokenForm  # noqa: F401 - TokenForm: re-exported
from partners.tenancy import TenantOwned, TenantQuerySet


class Role(models.TextChoices):
    """OCPI 2.2.1 party roles (2.1.1 knows only CPO and EMSP)."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


country_code_validator = RegexValidator(r"^[A-Za-z]{2}$", "Two letters, ISO 3166-1 alpha-2.")
party_id_validator = RegexValidator(r"^[A-Za-z0-9]{3}$", "Three letters or digits.")
slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,62}$", "Lowercase letters, digits and dashes.")


class Tenant(models.Model):
    """An operator hosted on this deployment, with its own OCPI base URL /ocpi/<slug>/."""

    slug = models.CharField(max_length=63, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def versions_url(self) -> str:
        return f"{settings.OCPI_BASE_URL.rstrip('/')}/ocpi/{self.slug}/versions"


class BusinessDetails(models.Model):
    """OCPI BusinessDetails, embedded in a party: name, website and logo."""

    name = models.CharField(max_length=100)
    website = models.URLField(max_length=255, blank=True)
    logo_url = models.URLField(max_length=255, blank=True)
    logo_thumbnail = models.URLField(max_length=255, blank=True)
    logo_category = models.CharField(max_length=20, blank=True)
    logo_type = models.CharField(max_length=4, blank=True)
    logo_width = models.PositiveIntegerField(null=True, blank=True)
    logo_height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True


class Party(TenantOwned, BusinessDetails):
    """One of a tenant's own OCPI parties: country_code + party_id in one role."""

    country_code = models.CharField(max_length=2, validators=[country_code_validator])
    party_id = models.CharField(max_length=3, validators=[party_id_validator])
    role = models.CharField(max_length=5, choices=Role.choices)

    class Meta:
        verbose_name_plural = "parties"
        ordering = ["country_code", "party_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "country_code", "party_id", "role"], name="party_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.role}"

    def save(self, *args, **kwargs):
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        super().save(*args, **kwargs)


class Operator(models.Model):
    """Binds a staff account to the one tenant it operates; superusers need none."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="operators")

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"


class PartnerStatus(models.TextChoices):
    PENDING = "PENDING", "pending"
    REGISTERED = "REGISTERED", "registered"
    SUSPENDED = "SUSPENDED", "suspended"
    UNREGISTERED = "UNREGISTERED", "unregistered"


class Partner(TenantOwned, CompatibilityFields):
    """A remote OCPI platform one tenant is connected with.

    Its compatibility profile (partners.profile) is partner-specific data read only by the protocol boundary.
    """

    name = models.CharField(max_length=100)
    versions_url = models.URLField(max_length=255, blank=True, help_text="Their versions endpoint.")
    version = models.CharField(max_length=10, blank=True, help_text="Negotiated OCPI version.")
    status = models.CharField(max_length=12, choices=PartnerStatus.choices, default=PartnerStatus.PENDING)
    bound_party = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The tenant party a 2.1.1 connection speaks for (OCPI 2.1.1 carries one party).",
    )
    # The token we send them (CREDENTIALS_TOKEN_B or _C); needed in clear to call them, never displayed.
    token_to_them = models.CharField(max_length=64, blank=True)
    offered_parties = models.ManyToManyField(
        Party,
        blank=True,
        related_name="+",
        help_text="The tenant's parties this connection speaks for in 2.2.1 (credentials roles); none chosen: all.",
    )

    created = models.DateTimeField(auto_now_add=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    unregistered_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="partner_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def profile(self) -> Profile:
        """The compatibility profile as a value, for the protocol boundary."""
        return Profile.of(self)

    @property
    def is_registered(self) -> bool:
        return self.status == PartnerStatus.REGISTERED

    def set_status(self, status: str) -> None:
        """Move to a status, stamping the time of the change."""
        now = timezone.now()
        self.status = status
        stamp = {
            PartnerStatus.REGISTERED: "registered_at",
            PartnerStatus.SUSPENDED: "suspended_at",
            PartnerStatus.UNREGISTERED: "unregistered_at",
        }.get(status)
        if stamp:
            setattr(self, stamp, now)


class PartnerParty(TenantOwned, BusinessDetails):
    """A party behind a partner: one for a 2.1.1 peer, any number for a 2.2.1 platform or hub."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="parties")
    country_code = models.CharField(max_length=2, validators=[country_code_validator])
    party_id = models.CharField(max_length=3, validators=[party_id_validator])
    role = models.CharField(max_length=5, choices=Role.choices)

    class Meta:
        verbose_name_plural = "partner parties"
        ordering = ["country_code", "party_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "country_code", "party_id", "role"], name="partner_party_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.role}"


class InterfaceRole(models.TextChoices):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class PartnerEndpoint(TenantOwned):
    """One endpoint of the partner's negotiated version (2.1.1 roles derived per module)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="endpoints")
    identifier = models.CharField(max_length=40)
    role = models.CharField(max_length=8, choices=InterfaceRole.choices)
    url = models.URLField(max_length=255)

    class Meta:
        ordering = ["identifier", "role"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "identifier", "role"], name="partner_endpoint_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} {self.role}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Printable ASCII without whitespace (U+0021..U+007E) is what both versions allow in a token;
# token_urlsafe stays inside it.
def generate_token() -> str:
    return secrets.token_urlsafe(32)


class TokenKind(models.TextChoices):
    REGISTRATION = "A", "registration (token A)"
    ACCESS = "C", "access (token C)"


class AccessTokenQuerySet(TenantQuerySet):
    def active(self) -> AccessTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class AccessToken(TenantOwned):
    """A token a partner uses to call us; only its SHA-256 is kept."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="access_tokens")
    kind = models.CharField(max_length=1, choices=TokenKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8, help_text="Last characters, to recognise a token.")
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} …{self.hint}"

    @classmethod
    def issue(cls, *, partner: Partner, kind: str) -> tuple[AccessToken, str]:
        """Create a token for the partner; the raw value is returned once and never stored."""
        raw = generate_token()
        token = cls.objects.create(
            tenant_id=partner.tenant_id, partner=partner, kind=kind, token_hash=hash_token(raw), hint=raw[-4:]
        )
        return token, raw


class HandshakeDirection(models.TextChoices):
    INBOUND = "INBOUND", "they registered with us"
    OUTBOUND = "OUTBOUND", "we registered with them"


class Handshake(TenantOwned):
    """One credentials exchange with a partner, step by step, as the admin shows it."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="handshakes")
    direction = models.CharField(max_length=8, choices=HandshakeDirection.choices)
    action = models.CharField(max_length=12, help_text="register, update or unregister")
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(null=True)
    steps = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started"]

    def __str__(self) -> str:
        outcome = {True: "succeeded", False: "failed", None: "running"}[self.succeeded]
        return f"{self.action} ({self.get_direction_display()}) {outcome}"
