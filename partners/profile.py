"""The compatibility profile: everything partner-specific about how we talk to one partner, in one place.

Partners in the field deviate from the spec in known ways (docs/compatibility.md). What is always
tolerated when reading needs no setting; what differs from partner to partner is a named setting
here, stored on the Partner row (CompatibilityFields), editable in the admin, and read as one frozen
`Profile` value by the protocol boundary only: the outgoing client, authentication, pagination, the
push sender and the handshake. Services never ask whether a partner is odd.

Presets (`PRESETS`) give an operator a starting point to adjust: strict (the spec only), lenient (the
common deviations), and a hub that takes PUT only and wants routing headers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class TokenForm(models.TextChoices):
    """How the credentials token is written into the Authorization header."""

    AUTO = "AUTO", "as the negotiated version says"
    BASE64 = "BASE64", "Base64"
    RAW = "RAW", "raw"


class RoutingHeaders(models.TextChoices):
    AUTO = "AUTO", "as the negotiated version says (2.2.1 functional modules)"
    ALWAYS = "ALWAYS", "always, in every version"
    NEVER = "NEVER", "never"


class InitialSync(models.TextChoices):
    """What happens when a connection is made or changes (registration, credentials PUT, Resync)."""

    BOTH = "BOTH", "push them our objects and pull theirs"
    PUSH = "PUSH", "push them our objects; theirs by the scheduled pull"
    PULL = "PULL", "pull theirs; they pull ours"
    NONE = "NONE", "nothing until the scheduled pull"


#: Modules whose objects may be PATCHed (and so may be PUT instead).
PATCHABLE_MODULES = ("locations", "sessions", "tariffs", "tokens")
#: Modules whose lists we pull, and so may be capped per module.
PAGED_MODULES = ("cdrs", "hubclientinfo", "invoicereconciliation", "locations", "sessions", "tariffs", "tokens")
#: Fields the spec makes optional that some partners require, as wire paths (a list level is walked
#: through): filled from our own data (owner/operator: the owning party's business details) or an
#: empty value, only when absent.
FILLABLE_FIELDS = (
    "locations.operator",
    "locations.owner",
    "locations.evses.capabilities",
    "locations.evses.connectors.tariff_id",
    "locations.evses.connectors.tariff_ids",
)


def _check_patchable(value):
    if not isinstance(value, list) or any(item not in PATCHABLE_MODULES for item in value):
        raise ValidationError(f"A list of module identifiers among: {', '.join(PATCHABLE_MODULES)}")


def _check_caps(value):
    if not isinstance(value, dict) or any(
        module not in PAGED_MODULES or not isinstance(limit, int) or limit < 1 for module, limit in value.items()
    ):
        raise ValidationError(f'An object of module to page size, e.g. {{"locations": 100}}; modules: {PAGED_MODULES}')


def _check_fillable(value):
    if not isinstance(value, list) or any(item not in FILLABLE_FIELDS for item in value):
        raise ValidationError(f"A list among: {', '.join(FILLABLE_FIELDS)}")


def _check_names(value):
    if not isinstance(value, list) or any(not isinstance(n, str) or not n.isidentifier() for n in value):
        raise ValidationError('A list of JSON field names, e.g. ["authorization_id", "gireve_id"]')


def _check_answers(value):
    if not isinstance(value, list) or any(not isinstance(n, int) or not 100 <= n <= 9999 for n in value):
        raise ValidationError("A list of HTTP statuses (e.g. 404) or OCPI status codes (e.g. 2001)")


def lenient_unknown_object_answers() -> list[int]:
    """What partners answer instead of 2003 to a PATCH of an object they lack, seen in the field."""
    return [2001, 400, 422]


class CompatibilityFields(models.Model):
    """The profile's settings as columns of Partner; help texts are what the admin shows."""

    pinned_version = models.CharField(
        max_length=10, blank=True, help_text="Use this OCPI version; empty means the highest mutual one."
    )
    send_token_form = models.CharField(
        max_length=6,
        choices=TokenForm.choices,
        default=TokenForm.AUTO,
        help_text="How we write our token when calling them. The handshake records the form that worked.",
    )
    strict_token_form = models.BooleanField(
        default=False, help_text="Accept their token only in the form their version prescribes (else raw or Base64)."
    )
    probe_token_form = models.BooleanField(
        default=True,
        help_text="When their versions or version details refuse our token (401, 403 or an OCPI error such as "
        "3000), try the other token form before giving up.",
    )
    page_size = models.PositiveIntegerField(
        null=True, blank=True, help_text="Page size to ask for when pulling their lists; empty: theirs."
    )
    page_size_caps = models.JSONField(
        default=dict,
        blank=True,
        validators=[_check_caps],
        help_text='Largest page they serve per module, e.g. {"locations": 100, "cdrs": 20}; wins over page size.',
    )
    follow_link = models.BooleanField(
        default=True,
        help_text="Follow their Link header to the next page. Off: walk their lists by offset and X-Total-Count "
        "(for servers whose Link header is missing or wrong).",
    )
    put_only_modules = models.JSONField(
        default=list,
        blank=True,
        validators=[_check_patchable],
        help_text='Modules for which they take no PATCH, e.g. ["sessions", "tokens"]: we PUT whole objects.',
    )
    unknown_object_answers = models.JSONField(
        default=lenient_unknown_object_answers,
        blank=True,
        validators=[_check_answers],
        help_text="Answers that mean 'I do not have this object' besides OCPI 2003 and HTTP 404 (e.g. 2001, 400): "
        "a PATCH answered so is followed by a PUT of the whole object.",
    )
    credentials_put = models.BooleanField(
        default=True,
        help_text="They accept a credentials PUT. Off: to change tokens or version we unregister (DELETE) and "
        "register again.",
    )
    routing_headers = models.CharField(
        max_length=6,
        choices=RoutingHeaders.choices,
        default=RoutingHeaders.AUTO,
        help_text="OCPI-to/OCPI-from headers on requests to them.",
    )
    required_fields = models.JSONField(
        default=list,
        blank=True,
        validators=[_check_fillable],
        help_text=f"Optional fields they require, filled from our data or an empty value when we have none. "
        f"Among: {', '.join(FILLABLE_FIELDS)}.",
    )
    extension_fields = models.JSONField(
        default=list,
        blank=True,
        validators=[_check_names],
        help_text='Fields outside the spec they send and want back, e.g. ["authorization_id", "gireve_id"]: kept '
        "on the objects they send, passed back on what we send them about those objects.",
    )
    default_time_zone = models.CharField(
        max_length=64,
        blank=True,
        help_text="IANA time zone for their locations that carry none (2.1.1 makes time_zone optional), "
        "e.g. Europe/Paris. Empty: UTC.",
    )
    request_timeout = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seconds to wait for their answer; empty: the platform's default."
    )
    retry_horizon = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds to keep retrying a delivery that fails; empty: the platform's default.",
    )
    retry_base_delay = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Seconds before the first retry of a failed delivery (doubling after); empty: the default.",
    )
    initial_sync = models.CharField(
        max_length=4,
        choices=InitialSync.choices,
        default=InitialSync.BOTH,
        help_text="What a new or changed connection gets at once: a push of our complete current objects to "
        "their receivers, a full pull of their senders, or both.",
    )

    class Meta:
        abstract = True


@dataclass(frozen=True)
class Profile:
    """One partner's compatibility settings as a value, read at the protocol boundary."""

    pinned_version: str = ""
    send_token_form: str = TokenForm.AUTO
    strict_token_form: bool = False
    probe_token_form: bool = True
    page_size: int | None = None
    page_size_caps: dict = None  # type: ignore[assignment]
    follow_link: bool = True
    put_only_modules: tuple[str, ...] = ()
    unknown_object_answers: tuple[int, ...] = tuple(lenient_unknown_object_answers())
    credentials_put: bool = True
    routing_headers: str = RoutingHeaders.AUTO
    required_fields: tuple[str, ...] = ()
    extension_fields: tuple[str, ...] = ()
    default_time_zone: str = ""
    request_timeout: int | None = None
    retry_horizon: int | None = None
    retry_base_delay: int | None = None
    initial_sync: str = InitialSync.BOTH

    def __post_init__(self):
        if self.page_size_caps is None:
            object.__setattr__(self, "page_size_caps", {})

    @classmethod
    def of(cls, partner) -> Profile:
        """The profile stored on a Partner (or anything with the same attributes)."""
        values = {}
        for name in PROFILE_FIELDS:
            value = getattr(partner, name)
            values[name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)

    def page_limit(self, module: str) -> int | None:
        """The `limit` to ask for when pulling `module`: the page size, capped by the module's cap."""
        cap = self.page_size_caps.get(module)
        if cap and self.page_size:
            return min(cap, self.page_size)
        return cap or self.page_size

    def takes_patch(self, module: str) -> bool:
        return module not in self.put_only_modules

    def means_unknown_object(self, *, http_status: int | None, status_code: int | None) -> bool:
        """Whether an answer to a PATCH says the partner lacks the object (2003, HTTP 404, or theirs)."""
        answers = {2003, 404, *self.unknown_object_answers}
        return http_status in answers or status_code in answers

    def wants_routing_headers(self, version_default: bool) -> bool:
        if self.routing_headers == RoutingHeaders.ALWAYS:
            return True
        if self.routing_headers == RoutingHeaders.NEVER:
            return False
        return version_default

    @property
    def pushes_initially(self) -> bool:
        return self.initial_sync in (InitialSync.BOTH, InitialSync.PUSH)

    @property
    def pulls_initially(self) -> bool:
        return self.initial_sync in (InitialSync.BOTH, InitialSync.PULL)


#: The settings, named as on the Partner row (a test holds them equal to CompatibilityFields' columns).
PROFILE_FIELDS = tuple(f.name for f in fields(Profile))
_DEFAULTS = {name: getattr(Profile(), name) for name in PROFILE_FIELDS}


def _preset(**changes: Any) -> dict[str, Any]:
    values = {**_DEFAULTS, **changes}
    # Stored as the model stores them (lists, not tuples).
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}


PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "strict": (
        "Strict: the spec only (tokens in the version's form both ways, no probing, Link followed)",
        _preset(strict_token_form=True, probe_token_form=False, unknown_object_answers=()),
    ),
    "lenient": (
        "Lenient (the default): common deviations (either token form, probing, 2001/400/422 as unknown object)",
        _preset(),
    ),
    "hub-put-only": (
        "Hub taking PUT only: whole objects, routing headers always, re-register instead of credentials PUT, "
        "page caps per module",
        _preset(
            put_only_modules=PATCHABLE_MODULES,
            routing_headers=RoutingHeaders.ALWAYS,
            credentials_put=False,
            page_size_caps={"locations": 100, "tariffs": 100, "tokens": 1000, "cdrs": 20, "sessions": 100},
            unknown_object_answers=(2001,),
        ),
    ),
}


def apply_preset(partner, name: str) -> None:
    """Set every profile setting of `partner` to the preset's value (pinned_version is kept); not saved."""
    _, values = PRESETS[name]
    for field_name, value in values.items():
        if field_name != "pinned_version":
            setattr(partner, field_name, value)


def matching_preset(partner) -> str | None:
    """The preset the partner's settings equal, if any (pinned_version aside)."""
    current = {n: getattr(partner, n) for n in PROFILE_FIELDS if n != "pinned_version"}
    for name, (_, values) in PRESETS.items():
        if all(current[n] == v for n, v in values.items() if n != "pinned_version"):
            return name
    return None
