"""Scheduled pull sync: GET a partner's sender lists since the last complete pull, upsert each object.

Per partner and module: GET with date_from = the cursor, follow Link pages, hand each object to
the module's ingest function (the same services the receiver endpoints use), and move the cursor
to the pull's start time only when every page came through. Pages are streamed, so memory does
not grow with their number. An object the partner sends that fails validation is refused alone,
counted and reported with its id and what is wrong (SyncState.last_refused), not fatal: one bad
location must not stop a network from syncing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from partners.models import InterfaceRole, Partner, PartnerStatus
from roaming.errors import DomainError, StaleWrite
from roaming.models import SyncState
from roaming.ocpi import inbound
from roaming.ocpi.client import PartnerError, client_for
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.timestamps import format_datetime
from roaming.services.ownership import pull_routing

logger = logging.getLogger(__name__)

FULL_PULL_FROM = "1970-01-01T00:00:00Z"
#: Refusals kept on the SyncState for the operator to read (all are counted and logged).
REFUSALS_KEPT = 20


def object_name(wire: object) -> str:
    """The id a pulled object carries, as sent, to name it when it is refused (its id may be what is wrong)."""
    if isinstance(wire, dict):
        for key in ("id", "uid"):
            if isinstance(wire.get(key), str):
                return repr(wire[key])
        if isinstance(wire.get("country_code"), str) and isinstance(wire.get("party_id"), str):
            return f"{wire['country_code']}*{wire['party_id']}"
    return "without an id"


def refusal(module: str, wire: object, message: str) -> str:
    """How a refused pulled object is reported: its module, its id, and the field that is wrong."""
    return f"{module} {object_name(wire)}: {message}"


@dataclass(frozen=True)
class PageIngested:
    """What a module made of one page: how many objects it stored and why it refused the others."""

    objects: int
    refused: list[str]


@dataclass(frozen=True)
class Pullable:
    """How one module ingests an object pulled from a partner: `ingest(partner, dialect, wire_object)`.

    A module may also ingest a whole page at once, `ingest_page(partner, dialect, wire_objects)`: validate
    every object, then write the page in bulk in one transaction (refusing the invalid ones, not the page).
    """

    module: str
    ingest: Callable[[Partner, Dialect, dict], object]
    #: a functional module's GET carries routing headers; a configuration module's (hub client info) does not.
    routed: bool = True
    ingest_page: Callable[[Partner, Dialect, list], PageIngested] | None = None
    #: For a module whose chapter says a full list replaces what the client holds (mod_tariffs GET: "Any older
    #: information that is not specified in the response is considered no longer valid"): after a complete full
    #: pull, `prune(partner, seen)` removes the partner's objects whose object paths (upper-cased) it did not list,
    #: returning how many.
    prune: Callable[[Partner, set[str]], int] | None = None


#: Filled from the module table (roaming.modules) when the app is ready; tests may add their own.
_PULLABLES: dict[str, Pullable] = {}


def register_pullable(pullable: Pullable) -> Pullable:
    _PULLABLES[pullable.module] = pullable
    return pullable


def pullable(module: str) -> Pullable | None:
    return _PULLABLES.get(module)


@dataclass(frozen=True)
class PullResult:
    module: str
    complete: bool
    pages: int
    objects: int
    rejected: int
    error: str = ""
    pruned: int = 0
    #: One line per refused object, naming it and what is wrong (see refusal()).
    refused: tuple[str, ...] = ()


def ensure_sync_states(*, partner: Partner) -> list[SyncState]:
    """One SyncState per sender module the partner offers and the platform can ingest."""
    modules = partner.endpoints.filter(role=InterfaceRole.SENDER, identifier__in=list(_PULLABLES)).values_list(
        "identifier", flat=True
    )
    return [
        SyncState.objects.get_or_create(tenant_id=partner.tenant_id, partner=partner, module=module)[0]
        for module in modules
    ]


def _claim(state_id: int, stale_after: timedelta) -> SyncState | None:
    now = timezone.now()
    with transaction.atomic():
        state = (
            SyncState.objects.select_for_update(skip_locked=True)
            .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - stale_after), pk=state_id)
            .first()
        )
        if state is None:
            return None
        state.running_since = state.last_started_at = now
        state.save(update_fields=["running_since", "last_started_at"])
        return state


def pull(*, state_id: int, full: bool = False, stale_after: timedelta = timedelta(hours=1)) -> PullResult | None:
    """Run one pull of one partner module; None when another worker is running it."""
    state = _claim(state_id, stale_after)
    if state is None:
        return None
    partner = Partner.objects.select_related("bound_party").get(pk=state.partner_id)
    started = state.last_started_at
    full = full or state.full_resync_requested or state.cursor is None
    pages = objects = pruned = 0
    refused: list[str] = []
    error = ""
    seen: set[str] = set()
    try:
        dialect = dialect_of(partner)
        endpoint = partner.endpoints.filter(identifier=state.module, role=InterfaceRole.SENDER).first()
        if partner.status != PartnerStatus.REGISTERED or dialect is None or endpoint is None:
            raise PartnerError("partner is not registered or offers no sender endpoint for this module")
        pullable = _PULLABLES[state.module]
        # What the partner's profile adds to each object it sends (extension fields kept, a default time zone).
        reading = inbound.receiving(dialect, partner.profile)
        # Sessions lists require date_from (mod_sessions); a full pull asks from the beginning of time. An
        # incremental one starts PULL_OVERLAP_SECONDS before the last pull started: partners' clocks drift and
        # their last_updated may lag the commit, and a duplicate is harmless where a gap is not.
        since = state.cursor - timedelta(seconds=settings.PULL_OVERLAP_SECONDS) if state.cursor else None
        params = {"date_from": FULL_PULL_FROM if full else format_datetime(since)}
        profile = partner.profile
        if limit := profile.page_limit(state.module):
            params["limit"] = limit
        # The client sends the routing headers where the partner's version or profile wants them.
        routing = pull_routing(partner=partner) if pullable.routed else {}
        client = client_for(partner)
        for page in client.iter_pages(endpoint.url, params=params, follow_link=profile.follow_link, **routing):
            pages += 1
            if pullable.ingest_page is not None:
                ingested = pullable.ingest_page(partner, reading, page)
                objects += ingested.objects
                for message in ingested.refused:
                    refused.append(message)
                    logger.warning("pull %s from %s: object refused: %s", state.module, partner, message)
                continue
            for wire_object in page:
                try:
                    with transaction.atomic():
                        change = pullable.ingest(partner, reading, wire_object)
                    objects += 1
                    if change is not None and getattr(change, "object_path", None):
                        seen.add(change.object_path.upper())
                except StaleWrite as stale:
                    objects += 1  # we hold a newer state: taken, nothing to write, and still listed
                    if stale.object_path:
                        seen.add(stale.object_path.upper())
                except (DomainError, DataError, IntegrityError) as exc:
                    # The object alone is refused (its savepoint rolled back); the database's word for one
                    # that the wire schema let through but a column cannot hold is as final as ours.
                    message = refusal(state.module, wire_object, getattr(exc, "message", None) or str(exc))
                    refused.append(message)
                    logger.warning("pull %s from %s: object refused: %s", state.module, partner, message)
    except PartnerError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - whatever broke, the pull must not stay marked running
        logger.exception("pull %s from %s failed", state.module, partner)
        error = f"{exc.__class__.__name__}: {exc}"
    complete = not error
    pruning = _PULLABLES.get(state.module)
    if complete and full and refused and pruning is not None and pruning.prune is not None:
        # A refused object is still listed, but which stored one it is cannot be told: nothing is removed.
        logger.info("pull %s from %s: not pruned, %d objects refused", state.module, partner, len(refused))
    elif complete and full and pruning is not None and pruning.prune is not None:
        pruned = pruning.prune(partner, seen)
        if pruned:
            logger.info("pull %s from %s: %d objects no longer listed removed", state.module, partner, pruned)
    state.running_since = None
    state.last_pages, state.last_objects, state.last_rejected = pages, objects, len(refused)
    state.last_refused = "\n".join(refused[:REFUSALS_KEPT])
    if len(refused) > REFUSALS_KEPT:
        state.last_refused += f"\nand {len(refused) - REFUSALS_KEPT} more"
    state.last_error = error
    if complete:
        # The next pull starts where this one started: changes made while it ran are fetched again.
        state.cursor, state.last_completed_at, state.full_resync_requested = started, timezone.now(), False
        Partner.objects.filter(pk=partner.pk).update(last_contact_at=timezone.now())
    state.save()
    return PullResult(state.module, complete, pages, objects, len(refused), error, pruned, tuple(refused))


def due_states(*, now=None) -> list[int]:
    """Ids of enabled pulls whose interval has passed (or that were never run)."""
    now = now or timezone.now()
    states = SyncState.objects.filter(
        enabled=True, running_since__isnull=True, partner__status=PartnerStatus.REGISTERED
    ).only("pk", "last_started_at", "interval_seconds", "full_resync_requested")
    return [
        s.pk
        for s in states
        if s.full_resync_requested
        or s.last_started_at is None
        or s.last_started_at + timedelta(seconds=s.interval_seconds) <= now
    ]


def request_full_resync(*, states) -> int:
    """Mark pulls to fetch everything again at their next run (the admin's and sync_partner's --full)."""
    return states.update(full_resync_requested=True)
