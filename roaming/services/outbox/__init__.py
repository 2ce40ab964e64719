"""Push with nothing lost: record deliveries with the change, send them after commit, retry until delivered.

record_change() runs inside the service transaction that changed the object, so the change and
what it owes partners commit together (ARCHITECTURE, principle 5). deliver() sends one
delivery, building its payload from the object's current state in the partner's version; a
beat job (sweep) re-queues what is due. Every step is safe to run twice. One concern per module:

- `pushables`: what the outbox knows of each module it pushes, and the shape of object paths;
- `recording`: the deliveries a change owes (record_change and its kin), handed on at commit;
- `drains`: the wake flags that queue each partner one drain for a burst of changes;
- `breaker`: each partner's circuit breaker, which keeps a partner in trouble from tying up the workers;
- `delivery`: claiming, sending and finishing one delivery, and an operator's retry;
- `sweeping`: the beat job that re-queues what is due.

Callers use the names re-exported here (`outbox.record_change(...)`).
"""

from roaming.ocpi.push import OutgoingRequest
from roaming.services.outbox.breaker import Breaker, closed_breakers
from roaming.services.outbox.breaker import keys_pattern as breaker_keys_pattern
from roaming.services.outbox.delivery import (
    Outcome,
    deliver,
    finish,
    flow_of,
    in_flight_conflicts,
    release,
    retry,
    serialize_claims,
    tell_attempted,
    unsendable,
)
from roaming.services.outbox.drains import drain_started, enqueue_drains, wake_drains
from roaming.services.outbox.pushables import (
    Pushable,
    ancestors,
    initially_pushed_modules,
    is_nested,
    nested_modules,
    pushable,
    receiver_urls,
    receiver_urls_of,
    register_pushable,
    target_url,
)
from roaming.services.outbox.recording import (
    Recorded,
    recipients,
    record_change,
    record_for,
    record_own_or_hub_change,
    record_own_or_hub_changes,
    record_whole_objects,
    send_on_commit,
)
from roaming.services.outbox.sweeping import sweep

__all__ = [
    "Breaker",
    "OutgoingRequest",
    "Outcome",
    "Pushable",
    "Recorded",
    "ancestors",
    "breaker_keys_pattern",
    "closed_breakers",
    "deliver",
    "drain_started",
    "enqueue_drains",
    "finish",
    "flow_of",
    "in_flight_conflicts",
    "initially_pushed_modules",
    "is_nested",
    "nested_modules",
    "pushable",
    "receiver_urls",
    "receiver_urls_of",
    "recipients",
    "record_change",
    "record_for",
    "record_own_or_hub_change",
    "record_own_or_hub_changes",
    "record_whole_objects",
    "register_pushable",
    "release",
    "retry",
    "send_on_commit",
    "serialize_claims",
    "sweep",
    "target_url",
    "tell_attempted",
    "unsendable",
    "wake_drains",
]
