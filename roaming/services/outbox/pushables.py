"""What the outbox knows of each module it pushes (`Pushable`), and the shape of object paths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from partners.models import InterfaceRole, Partner, PartnerEndpoint
from roaming.models import Delivery
from roaming.ocpi.client import PartnerError
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.push import OutgoingRequest


@dataclass(frozen=True)
class Pushable:
    """How one module's deliveries become requests.

    `build(delivery, dialect)` returns the request carrying the object's current state, or None
    when there is nothing to send any more (e.g. the object is gone). `audience(partner, delivery)`
    says whether a partner may see the object (2.2.1 publish rules); by default every partner with
    the module's receiver endpoint does.

    `build_many(deliveries, dialect)` does what `build` does for the deliveries of one or more partners that
    speak `dialect`'s version, by delivery id, in fewer queries (roaming.services.sending); without it each is
    built alone.

    `current(partner, dialect)` lists the object paths of everything of the module the partner holds
    of ours once in sync: what an initial sync sends it as whole objects (None: nothing is, e.g. CDRs,
    which are posted once). `nested` says that objects have objects below them in the same module
    (a location's EVSEs and connectors, "CC/PID/LOC/EVSE"): a whole-object PUT carries them.

    `url(partner, delivery)` is where the request goes when not below the partner's receiver endpoint of
    the module (an asynchronous result to the response_url its sender gave, a PUT to their sender
    endpoint); None there: nowhere to send it. `attempted(delivery, error)` hears each attempt's outcome
    (None: delivered), for records that keep their own history.
    """

    module: str
    build: Callable[[Delivery, Dialect], OutgoingRequest | None]
    audience: Callable[[Partner, str], bool] | None = None
    build_many: Callable[[list[Delivery], Dialect], dict[int, OutgoingRequest | None]] | None = None
    current: Callable[[Partner, Dialect], list[str]] | None = None
    nested: bool = False
    url: Callable[[Partner, Delivery], str | None] | None = None
    attempted: Callable[[Delivery, PartnerError | None], None] | None = None


def target_url(pushable: Pushable | None, partner: Partner, delivery: Delivery, receivers: dict[str, str]) -> str:
    """Where a delivery's request goes: the pushable's own URL, else the partner's receiver endpoint of the
    module (`receivers`: identifier to URL); "" when there is none."""
    if pushable is not None and pushable.url is not None:
        return pushable.url(partner, delivery) or ""
    return receivers.get(delivery.module, "")


def receiver_urls(partner: Partner) -> dict[str, str]:
    return receiver_urls_of([partner.pk])[partner.pk]


def receiver_urls_of(partner_ids) -> dict[int, dict[str, str]]:
    """Each partner's receiver endpoints (module identifier to URL), for many partners in one query."""
    urls: dict[int, dict[str, str]] = {partner_id: {} for partner_id in partner_ids}
    for partner_id, identifier, url in PartnerEndpoint.objects.filter(
        partner_id__in=list(urls), role=InterfaceRole.RECEIVER
    ).values_list("partner_id", "identifier", "url"):
        urls[partner_id][identifier] = url
    return urls


_PUSHABLES: dict[str, Pushable] = {}

#: Object paths start with the owner and the object's id: "CC/PID/ID"; objects below it add segments.
TOP_LEVEL_DEPTH = 3


def register_pushable(pushable: Pushable) -> Pushable:
    _PUSHABLES[pushable.module] = pushable
    return pushable


def pushable(module: str) -> Pushable | None:
    return _PUSHABLES.get(module)


def initially_pushed_modules() -> list[str]:
    """Modules whose current objects an initial sync sends."""
    return sorted(module for module, p in _PUSHABLES.items() if p.current is not None)


def is_nested(module: str) -> bool:
    found = _PUSHABLES.get(module)
    return found is not None and found.nested


def nested_modules() -> list[str]:
    return sorted(module for module, p in _PUSHABLES.items() if p.nested)


def ancestors(object_path: str) -> list[str]:
    """Paths of the objects above a nested object, outermost first ("CC/PID/LOC" for "CC/PID/LOC/EVSE")."""
    parts = object_path.split("/")
    return ["/".join(parts[:depth]) for depth in range(TOP_LEVEL_DEPTH, len(parts))]
