"""A pushable module of bare test objects, "testobjects", for tests of the outbox that need no OCPI module:
an object's body is what STATE holds under its path (a PATCH sends only the changed fields). Registered with
the outbox when imported."""

from django.db import transaction

from roaming.services import outbox

MODULE = "testobjects"
STATE: dict[str, dict] = {}


def build(delivery, dialect):
    if delivery.object_path not in STATE:
        return None
    body = STATE[delivery.object_path]
    if delivery.method == "PATCH":
        body = {k: v for k, v in body.items() if k in delivery.fields}
    return outbox.OutgoingRequest(delivery.method, delivery.object_path, body=body)


outbox.register_pushable(outbox.Pushable(MODULE, build=build))


def change(tenant, path="NL/CPO/1", method="PUT", fields=()):
    """Record a change of the object at `path` in its own transaction, as a service would."""
    with transaction.atomic():
        return outbox.record_change(tenant=tenant, module=MODULE, object_path=path, method=method, fields=fields)
