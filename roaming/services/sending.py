"""Building, sending and finishing claimed deliveries: what a drain (roaming.services.batches) does with the batches
it claimed, for one partner or for many partners at once.

A round's requests are built together: what the partners' requests need of them (their receiver endpoints,
what a hub reported of the parties behind it, the tenant's parties) is read once for all of them, and each
module's deliveries of all the partners speaking one version are built in one call (a location's wire form
rendered once per version and revision, the cache the sender's pages use). Everything under one top-level
object (a location and its EVSEs) goes one after another on one connection, in the order owed; a partner that
is unreachable or asks us to slow down stops what it has not been sent yet. Each object's group is recorded
DELIVERED as soon as the partner took it, and the round is finished in a few statements for every partner.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from partners.models import Partner, PartnerStatus
from partners.rows import on_postgresql, prepared_cursor
from roaming.models import Delivery, DeliveryStatus
from roaming.ocpi.client import PartnerError, PartnerHttpError, PartnerUnreachable
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import correlated
from roaming.ocpi.push import OutgoingRequest, send
from roaming.services import outbox, routing
from roaming.services.ownership import ensure_reachable, hub_reports

logger = logging.getLogger("roaming.services.batches")

#: Answers that concern the partner, not the object: the rest of the batch waits rather than try its luck.
_SLOW_DOWN = (429, 502, 503, 504)

_DELIVERED_SQL = """
UPDATE roaming_delivery AS delivery
SET status = 'DELIVERED', delivered_at = %(now)s, updated = %(now)s, last_error = '',
    last_http_status = coalesce(answer.http_status, delivery.last_http_status),
    last_status_code = coalesce(answer.status_code, delivery.last_status_code)
FROM (SELECT unnest(%(ids)s::bigint[]) AS id, unnest(%(http)s::int[]) AS http_status,
             unnest(%(codes)s::int[]) AS status_code) AS answer
WHERE delivery.id = answer.id AND delivery.status = 'SENDING'
"""


def top(path: str) -> str:
    """The top-level object of an object path: "CC/PID/LOC" of "CC/PID/LOC/EVSE/CONN"."""
    return "/".join(path.split("/")[:3])


# -- building ------------------------------------------------------------------------------------------------------


@dataclass
class Item:
    delivery: Delivery
    request: OutgoingRequest | None = None
    endpoint_url: str = ""
    error: PartnerError | None = None
    #: Left unsent because the batch or its object's group stopped first.
    unsent: bool = False
    #: Recorded DELIVERED as soon as the partner took it.
    recorded: bool = False


def build(partners: dict[int, Partner], batches: dict[int, list[Delivery]]) -> dict[int, list[Item]]:
    """Each partner's claimed deliveries with their requests (None: nothing to send any more) or why they cannot
    be sent, in the order claimed."""
    receivers = outbox.receiver_urls_of(list(batches))
    reported = hub_reports(list(batches))
    urls: dict[int, str] = {}
    errors: dict[int, PartnerError] = {}
    together: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
    for partner_id, batch in batches.items():
        partner = partners[partner_id]
        dialect = dialect_of(partner)
        theirs = receivers.get(partner_id, {})
        for delivery in batch:
            delivery.partner = partner
            pushable = outbox.pushable(delivery.module)
            if pushable is None or partner.status != PartnerStatus.REGISTERED or not dialect:
                url = theirs.get(delivery.module, "")
                errors[delivery.pk] = outbox.unsendable(partner, url, delivery.module, pushable)
            elif url := outbox.target_url(pushable, partner, delivery, theirs):
                urls[delivery.pk] = url
                together[(delivery.module, dialect.version)].append(delivery)
            else:
                errors[delivery.pk] = outbox.unsendable(partner, "", delivery.module, pushable)
    built: dict[int, OutgoingRequest | _BuildFailed | None] = {}
    for (module, _version), deliveries in together.items():
        pushable, dialect = outbox.pushable(module), dialect_of(deliveries[0].partner)
        try:
            built.update((pushable.build_many or _one_by_one(pushable.build))(deliveries, dialect))
        except Exception:  # noqa: BLE001 - one module's bug must not keep the others' deliveries from going
            logger.exception(
                "building %d %s deliveries together failed; building them one by one", len(deliveries), module
            )
            built.update(_one_by_one(pushable.build)(deliveries, dialect))
    tenants: dict[int, object] = {}
    items: dict[int, list[Item]] = {}
    for partner_id, batch in batches.items():
        partner = partners[partner_id]
        if partner.tenant_id not in tenants:
            tenants[partner.tenant_id] = routing.passing_on(partner.tenant_id)
        as_sent = tenants[partner.tenant_id]
        items[partner_id] = [
            Item(d, error=errors[d.pk])
            if d.pk in errors
            else Item(d, request=as_sent(built.get(d.pk)), endpoint_url=urls[d.pk])
            for d in batch
        ]
        _check_reachable(partner, items[partner_id], reported)
    return items


def _one_by_one(build_one):
    def build_each(deliveries, dialect):
        built = {}
        for delivery in deliveries:
            try:
                built[delivery.pk] = build_one(delivery, dialect)
            except Exception as exc:  # noqa: BLE001 - the delivery is retried, the batch goes on
                logger.exception("building %s %s failed", delivery.module, delivery.object_path)
                built[delivery.pk] = _BuildFailed(f"building the request failed: {exc.__class__.__name__}: {exc}")
        return built

    return build_each


class _BuildFailed(PartnerError):
    """Building a delivery's request raised: retried as a partner error would be, the rest of the batch goes."""


def _check_reachable(partner: Partner, items: list[Item], reported) -> None:
    """Requests addressed to a party its hub reported offline fail at once (ensure_reachable), once per party."""
    verdicts: dict = {}
    for item in items:
        if isinstance(item.request, _BuildFailed):
            item.error, item.request = item.request, None
            continue
        if item.request is None or item.error is not None:
            continue
        party = item.request.to_party
        if party not in verdicts:
            try:
                ensure_reachable(partner=partner, party=party, reported=reported)
                verdicts[party] = None
            except PartnerError as exc:
                verdicts[party] = exc
        item.error = verdicts[party]


# -- sending -------------------------------------------------------------------------------------------------------


def _groups(items: list[Item]) -> list[list[Item]]:
    """The items to send, grouped by top-level object (a location with its EVSEs), each group in order."""
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in items:
        if item.request is not None and item.error is None:
            groups[(item.delivery.module, top(item.delivery.object_path))].append(item)
    return list(groups.values())


class Sending:
    """One partner's built batch on its way through a pool of threads. Each of its lanes is sent in order by one
    thread: a lane per top-level object's group (`one_lane=False`: the groups side by side, as many at once as
    the pool has threads), or one lane for all (one connection's worth of the partner, while the pool serves
    many partners). A partner in trouble (unreachable, or 429 / 5xx of its gateway) stops what has not gone yet.
    Each group done is put on `done`, for wait() to record."""

    def __init__(self, items: list[Item], pool, client, *, done: queue.SimpleQueue, one_lane: bool = False):
        self.items = items
        self.partner_id = items[0].delivery.partner_id if items else None
        self.trouble = threading.Event()
        self.client = client
        self.done = done
        groups = _groups(items)
        lanes = ([groups] if groups else []) if one_lane else [[group] for group in groups]
        self.groups = len(groups)
        for lane in lanes:
            pool.submit(self._send_lane, lane)

    def _send_lane(self, lane: list[list[Item]]) -> None:
        try:
            client = self.client()
            for group in lane:
                self._send_group(group, client)
                self.done.put((self, group))
        except BaseException as exc:  # the drain that waits raises it, as it would its own
            self.done.put(exc)
            raise
        finally:
            connections.close_all()  # a send that read the database leaves no connection behind in the thread

    def _send_group(self, group: list[Item], client) -> None:
        for index, item in enumerate(group):
            if self.trouble.is_set():
                for rest in group[index:]:
                    rest.unsent = True
                return
            try:
                with correlated(outbox.flow_of(item.delivery)):
                    result = send(client, item.endpoint_url, item.request)
                item.delivery.last_http_status = result.http_status
                item.delivery.last_status_code = result.status_code
            except PartnerError as exc:
                item.error = exc
                if isinstance(exc, PartnerUnreachable) or (
                    isinstance(exc, PartnerHttpError) and exc.http_status in _SLOW_DOWN
                ):
                    self.trouble.set()
                for rest in group[index + 1 :]:  # what comes after it of the same object waits for it
                    rest.unsent = True
                return


def wait(sendings: list[Sending], done: queue.SimpleQueue, *, also_claimed: list[Item] = (), on_through=None) -> None:
    """Until every group of `sendings` is done, recording each one's delivered as it comes in; `on_through` is
    given the sendings that are through (every group done) as they get there.

    Per group, not per batch: a worker that dies mid-batch must leave only what was on the wire to be sent again,
    never what the partner already took. What is claimed and not sent yet must not look abandoned to a sweep
    (PUSH_SENDING_TIMEOUT_SECONDS, which another worker may have set shorter) while a slow partner takes its time:
    it is stamped every second."""
    beat = min(1.0, settings.PUSH_SENDING_TIMEOUT_SECONDS / 3)
    left = {id(sending): sending.groups for sending in sendings}
    if on_through is not None and (through := [sending for sending in sendings if not sending.groups]):
        on_through(through)
    stamped = time.monotonic()
    while any(left.values()):
        finished = []
        try:
            finished.append(done.get(timeout=beat))
            while True:  # whatever else is done by now goes in the same statement
                finished.append(done.get_nowait())
        except queue.Empty:
            pass
        taken, through = [], []
        for entry in finished:
            if isinstance(entry, BaseException):
                raise entry
            sending, group = entry
            left[id(sending)] -= 1
            if not left[id(sending)]:
                through.append(sending)
            taken += [item for item in group if item.error is None and not item.unsent]
        record_delivered([item.delivery for item in taken])
        for item in taken:
            item.recorded = True
        if through and on_through is not None:
            on_through(through)
        if any(left.values()) and time.monotonic() - stamped >= beat:
            stamped = time.monotonic()
            claimed = [item.delivery.pk for sending in sendings for item in sending.items]
            claimed += [item.delivery.pk for item in also_claimed]
            Delivery.objects.filter(pk__in=claimed, status=DeliveryStatus.SENDING).update(updated=timezone.now())


# -- finishing -----------------------------------------------------------------------------------------------------


def record_delivered(delivered: list[Delivery]) -> None:
    """Mark deliveries DELIVERED (those still SENDING), keeping the partner's answer, in one statement."""
    if not delivered:
        return
    now = timezone.now()
    if on_postgresql():
        with prepared_cursor() as cursor:
            cursor.execute(
                _DELIVERED_SQL,
                {
                    "now": now,
                    "ids": [d.pk for d in delivered],
                    "http": [d.last_http_status for d in delivered],
                    "codes": [d.last_status_code for d in delivered],
                },
            )
        return
    for delivery in delivered:
        delivery.status, delivery.delivered_at, delivery.last_error, delivery.updated = (
            DeliveryStatus.DELIVERED,
            now,
            "",
            now,
        )
    Delivery.objects.bulk_update(
        delivered, ["status", "delivered_at", "last_error", "last_http_status", "last_status_code", "updated"]
    )


# Rows another drain is writing are skipped, not waited for (it writes about the same moment): two drains of
# overlapping partners, each locking its rows in the order it meets them, could otherwise wait for each other.
_CONTACTED_SQL = """
UPDATE partners_partner SET last_contact_at = %(now)s
WHERE id IN (SELECT id FROM partners_partner WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE SKIP LOCKED)
"""


def _contacted(partner_ids: list[int], now) -> None:
    """The partners' last contact, now."""
    if not on_postgresql():
        Partner.objects.filter(pk__in=partner_ids).update(last_contact_at=now)
        return
    with prepared_cursor() as cursor:
        cursor.execute(_CONTACTED_SQL, {"now": now, "ids": partner_ids})


@dataclass
class Finished:
    """What became of one partner's batch: delivered, not delivered (failed or left for later), and the time
    no sooner than which what was left goes again."""

    delivered: int
    not_delivered: int
    retry_at: object


def finish(partners: dict[int, Partner], items: dict[int, list[Item]]) -> dict[int, Finished]:
    """The delivered ones in one statement for all partners, and their last contact in another; each failure by
    the retry policy; the unsent back to pending, to go again no sooner than what stopped them."""
    now = timezone.now()
    taken = {pid: [i for i in its if i.error is None and not i.unsent] for pid, its in items.items()}
    delivered = {pid: [i.delivery for i in its] for pid, its in taken.items()}
    # Those with nothing to send any more (no request) were not recorded while sending.
    record_delivered([i.delivery for its in taken.values() for i in its if not i.recorded])
    if contacted := [pid for pid, theirs in delivered.items() if theirs]:
        _contacted(contacted, now)
    finished = {}
    for partner_id, its in items.items():
        for delivery in delivered[partner_id]:
            outbox.tell_attempted(delivery, None)
        retry_at = now + timedelta(seconds=1)
        failed = [item for item in its if item.error is not None]
        for item in failed:
            outcome = outbox.finish(item.delivery, item.error)
            if outcome.retry_at is not None:
                retry_at = max(retry_at, outcome.retry_at)
        unsent = [item.delivery for item in its if item.unsent]
        for delivery in unsent:
            outbox.release(delivery, retry_at=retry_at)
        finished[partner_id] = Finished(len(delivered[partner_id]), len(failed) + len(unsent), retry_at)
    total = [sum(getattr(f, name) for f in finished.values()) for name in ("delivered", "not_delivered")]
    whom = partners[next(iter(items))] if len(items) == 1 else f"{len(items)} partners"
    logger.info("batch to %s: %d delivered, %d not delivered (failed or left for later)", whom, *total)
    return finished
