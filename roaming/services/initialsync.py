"""Initial sync: every new or changed connection is brought into sync by itself.

After the credentials handshake either party may push and pull (credentials chapter), but nothing makes
a partner pull, and one that never does would hold none of our objects. So when a connection is stored
(a registration in either direction, a credentials PUT that changes the version or the endpoints) or
an operator asks for a resync, the partner is owed, as its compatibility profile's initial_sync says:

- push: for every module it has a receiver for and of which it holds objects of ours (a CPO's locations,
  tariffs and sessions not ended yet, an eMSP's tokens, a hub's client info, the invoice reconciliation
  records meant for it), our complete current set as PUTs of whole objects in the outbox (a record it never
  got is POSTed): durable, sent in order per object with the newest state, paced per partner. A status
  PATCH recorded while its location's PUT is pending folds into it; one recorded while that PUT is being
  sent waits for it (roaming.services.outbox).
- pull: a full pull of every sender module it offers, queued at once rather than at the next beat tick.

Each module is one InitialSync run. A push run's progress is counted from the deliveries linked to it;
a pull run's outcome is that of the full pull it asked for.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from partners.models import InterfaceRole, Partner, PartnerStatus
from roaming.models import Delivery, DeliveryStatus, InitialSync, SyncDirection, SyncState
from roaming.ocpi.dialects import dialect_of
from roaming.services import jobs, outbox, sync

logger = logging.getLogger(__name__)

_OPEN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


# -- owing --------------------------------------------------------------------------------------------------


def owe(*, partner: Partner, reason: str, after: float = 0.0) -> list[InitialSync]:
    """Inside the transaction that stores a connection: owe the partner its initial sync, as its profile says.
    Everything is written in that transaction (the PUTs in the outbox, the full pulls requested), so nothing
    is lost with a broker that is down; the first request goes `after` seconds after commit."""
    return _owe(partner, reason=reason, after=after)


def start(*, partner: Partner, reason: str, pull: bool = True, modules=None) -> list[InitialSync]:
    """Bring the partner into sync now, as its profile says (an operator's Resync; sync_partner --full, which
    pulls by itself: pull=False); `modules` narrows it. Returns the runs."""
    with transaction.atomic():
        partner = Partner.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=partner.pk)
        return _owe(partner, reason=reason, after=0.0, pull=pull, modules=modules)


def _owe(partner: Partner, *, reason: str, after: float, pull: bool = True, modules=None) -> list[InitialSync]:
    now = timezone.now()
    starts_at = now + timedelta(seconds=after)
    InitialSync.objects.for_tenant(partner.tenant_id).filter(partner=partner, finished__isnull=True).update(
        finished=now, error=f"replaced by a newer initial sync ({reason})"
    )
    runs = [
        InitialSync(
            tenant_id=partner.tenant_id,
            partner=partner,
            direction=direction,
            module=module,
            reason=reason[:100],
            created=now,
            starts_at=starts_at,
        )
        for direction, module in _planned(partner, pull=pull, modules=modules)
    ]
    InitialSync.objects.bulk_create(runs)
    dialect = dialect_of(partner)
    created: list[int] = []
    pulls: list[int] = []
    for run in runs:
        if partner.status != PartnerStatus.REGISTERED or dialect is None:
            run.finished, run.error = now, f"the partner is {partner.get_status_display()}: nothing to sync"
        elif run.direction == SyncDirection.PUSH:
            paths = outbox.pushable(run.module).current(partner, dialect)
            created += outbox.record_whole_objects(
                partner=partner, module=run.module, object_paths=paths, initial_sync_id=run.pk, not_before=starts_at
            ).created
            run.total = len(paths)
            if not paths:
                run.finished = now
        else:
            states = SyncState.objects.for_tenant(partner.tenant_id).filter(partner=partner, module=run.module)
            # Full whatever becomes of the pull queued now: should it be lost, or skip because a pull is already
            # running, the next scheduled one is full instead.
            sync.request_full_resync(states=states)
            pulls += list(states.values_list("pk", flat=True))
    InitialSync.objects.bulk_update(runs, ["finished", "total", "error"])
    logger.info(
        "initial sync of %s (%s): %s",
        partner,
        reason,
        ", ".join(f"{r.direction.lower()} {r.module} ({r.total})" for r in runs) or "nothing",
    )
    if created or pulls:
        transaction.on_commit(lambda pk=partner.pk: _queue(pk, bool(created), pulls, after))
    return runs


def _planned(partner: Partner, *, pull: bool, modules) -> list[tuple[str, str]]:
    """(direction, module) of the runs the partner's profile asks for."""
    # What a connection gets at once is the partner's setting (the profile's initial_sync), not a quirk: read
    # here, where every way a connection comes to owe an initial sync passes.
    profile = partner.profile
    wanted = (lambda module: module in modules) if modules else (lambda module: True)
    planned = []
    if profile.pushes_initially:
        receivers = set(partner.endpoints.filter(role=InterfaceRole.RECEIVER).values_list("identifier", flat=True))
        planned += [
            (SyncDirection.PUSH, module)
            for module in outbox.initially_pushed_modules()
            if module in receivers and wanted(module)
        ]
    if pull and profile.pulls_initially:
        planned += [
            (SyncDirection.PULL, state.module)
            for state in sync.ensure_sync_states(partner=partner)
            if wanted(state.module)
        ]
    return planned


def _queue(partner_id: int, pushes: bool, pulls: list[int], after: float) -> None:
    """Queue the partner's drain (its PUTs go in batches) and the pulls; in eager mode (no queue to wait in)
    what must wait is left to the sweep and the schedule."""
    if after and jobs.runs_inline():
        return
    if pushes:
        outbox.enqueue_drains([partner_id], drains=settings.PUSH_PARTNER_DRAINS, countdown=after or None)
    for state_id in pulls:
        if not jobs.enqueue(jobs.PULL, state_id, True, countdown=after or None):
            return


# -- progress ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunProgress:
    """Where one run stands: objects sent (or pulled) of its total, and how it ended."""

    run: InitialSync
    state: str  # running, finished or failed
    total: int
    sent: int
    failed: int
    pending: int
    error: str

    def as_dict(self) -> dict:
        iso = lambda value: value.isoformat() if value else None  # noqa: E731
        return {
            "direction": self.run.direction.lower(),
            "module": self.run.module,
            "reason": self.run.reason,
            "state": self.state,
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "pending": self.pending,
            "owed": iso(self.run.created),
            "finished": iso(self.run.finished),
            "error": self.error or None,
        }


def _delivery_counts(run_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for run_id, status, n in (
        Delivery.objects.filter(initial_sync_id__in=run_ids)
        .values_list("initial_sync_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[run_id][status] = n
    return counts


def _pull_outcome(run: InitialSync, state: SyncState | None) -> tuple[str, int, str] | None:
    """(state, objects, error) of the full pull a run asked for, once one that began after it has ended."""
    if state is None:
        return "failed", 0, f"they offer no {run.module} sender any more"
    if state.running_since is not None or state.last_started_at is None or state.last_started_at < run.created:
        return None
    return ("failed" if state.last_error else "finished"), state.last_objects, state.last_error


def progress(runs: list[InitialSync]) -> list[RunProgress]:
    """The progress of these runs, in two queries whatever their number."""
    live_push = [r.pk for r in runs if r.finished is None and r.direction == SyncDirection.PUSH]
    counts = _delivery_counts(live_push) if live_push else {}
    live_pull = [r for r in runs if r.finished is None and r.direction == SyncDirection.PULL]
    states = {}
    if live_pull:
        for state in SyncState.objects.filter(partner_id__in={r.partner_id for r in live_pull}):
            states[(state.partner_id, state.module)] = state
    rows = []
    for run in runs:
        if run.finished is not None:
            state = "failed" if run.error or run.failed else "finished"
            rows.append(RunProgress(run, state, run.total, run.sent, run.failed, 0, run.error))
        elif run.direction == SyncDirection.PUSH:
            found = counts.get(run.pk, {})
            pending = sum(found.get(s, 0) for s in _OPEN)
            sent, failed = found.get(DeliveryStatus.DELIVERED, 0), found.get(DeliveryStatus.FAILED, 0)
            rows.append(RunProgress(run, "running", run.total, sent, failed, pending, ""))
        else:
            outcome = _pull_outcome(run, states.get((run.partner_id, run.module)))
            if outcome is None:
                rows.append(RunProgress(run, "running", 0, 0, 0, 0, ""))
            else:
                state, objects, error = outcome
                rows.append(RunProgress(run, state, objects, objects, 0, 0, error))
    return rows


def latest(*, tenant=None, partner_ids=None) -> dict[int, list[RunProgress]]:
    """Each partner's latest initial sync (the runs owed together last), with its progress, per partner id."""
    runs = InitialSync.objects.all() if tenant is None else InitialSync.objects.for_tenant(tenant)
    if partner_ids is not None:
        runs = runs.filter(partner_id__in=partner_ids)
    newest = InitialSync.objects.filter(partner=OuterRef("partner")).order_by().values("partner")
    runs = runs.filter(created=Subquery(newest.annotate(last=Max("created")).values("last")[:1]))
    by_partner: dict[int, list[RunProgress]] = defaultdict(list)
    for row in progress(list(runs.order_by("partner_id", "direction", "module"))):
        by_partner[row.run.partner_id].append(row)
    return by_partner


def settle(*, partner_ids=None) -> int:
    """Record the outcome of runs that have finished: a push run once none of its deliveries is pending or
    being sent (counts kept, as the deliveries are pruned later), a pull run once its full pull ended. Only
    the runs of `partner_ids` when given."""
    runs = InitialSync.objects.filter(finished__isnull=True)
    if partner_ids is not None:
        runs = runs.filter(partner_id__in=list(partner_ids))
        if not runs.exists():  # a partner's every drain asks: mostly nothing is running
            return 0
    pushes = runs.filter(direction=SyncDirection.PUSH).annotate(
        open=Count("deliveries", filter=Q(deliveries__status__in=_OPEN)),
        delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        refused=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )
    now = timezone.now()
    settled = []
    for run in pushes.filter(open=0):
        run.finished, run.sent, run.failed = now, run.delivered, run.refused
        if run.refused:
            last = (
                Delivery.objects.filter(initial_sync=run, status=DeliveryStatus.FAILED)
                .order_by("-updated")
                .values_list("last_error", flat=True)
                .first()
            )
            run.error = f"{run.refused} of {run.total} failed; the last: {last}"[:2000]
        settled.append(run)
    for row in progress(list(runs.filter(direction=SyncDirection.PULL))):
        if row.state in ("finished", "failed"):
            row.run.finished, row.run.total, row.run.sent, row.run.error = now, row.total, row.sent, row.error
            settled.append(row.run)
    InitialSync.objects.bulk_update(settled, ["finished", "sent", "failed", "total", "error"])
    return len(settled)
