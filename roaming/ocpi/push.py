"""Sending one pushed change to a partner, as its compatibility profile says (transport_and_format, both versions).

The outbox hands over an OutgoingRequest built from the object's current state, in the partner's version;
this module is the boundary that turns it into HTTP for one partner. Both delivery paths (one delivery, or a
batch) send through `send()`.

- PUT instead of PATCH: a partner whose profile lists the module in put_only_modules gets the whole object
  (`request.whole`) and never a PATCH.
- A failed PATCH: "In case a PATCH request fails, the client is expected to call the GET method to check the
  state of the object in the other party's system. If the object doesn't exist, the client should do a PUT"
  (transport_and_format, PATCH). When the partner answers a PATCH as an unknown object (2003, HTTP 404, or
  one of the profile's unknown_object_answers) we GET the object and then PUT the whole object whatever the
  GET shows: if they lack it the PUT creates it; if they have it, the PATCH could not be applied to what they
  hold, and a PUT (which "must specify all required fields", transport_and_format PUT) brings it to our
  state. Only a failure of that PUT is the delivery's failure. A GET that gets no answer at all (partner
  unreachable, server error) ends the attempt as that error, to be retried as any: nothing is known of
  their state, and a PUT would meet the same fate.
- Required fields (profile.required_fields): optional fields the partner requires are filled on the whole
  objects we send (PUT, POST), only where absent, with what the builder's `fill` says our data holds. A
  PATCH is never filled: a field it leaves out stays unchanged at the partner, and must.
- Extension fields (profile.extension_fields): what the object's sender gave beyond the spec and wants back
  is merged into the body, where the body does not carry the field itself.
- Routing headers: every request names its parties; the client sends OCPI-from/OCPI-to when the partner's
  version or profile wants them (OcpiClient.sends_routing_headers).
- Retries: the partner's retry policy (profile.retry_base_delay, retry_horizon, else the platform's).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from partners.profile import Profile
from roaming.ocpi.client import OcpiClient, OcpiResult, PartnerError
from roaming.ocpi.headers import PartyRef

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingRequest:
    method: str
    path: str  # below the partner's receiver endpoint URL
    body: Any = None
    to_party: PartyRef | None = None
    from_party: PartyRef | None = None
    module: str = ""
    #: The PUT of the whole object (for a PATCH: its location, session, token or tariff), sent instead when the
    #: partner takes no PATCH for the module, or after a PATCH they answer as an unknown object.
    whole: OutgoingRequest | None = None
    #: Where the body sits in the module's object, as a wire path: "" for the whole object, "evses" for an
    #: EVSE, "evses.connectors" for a connector. The profile's required fields are found in the body by it.
    part: str = ""
    #: The extension fields kept on the object (what its sender gave beyond the spec): those the partner's
    #: profile lists are passed back in the body.
    extensions: Mapping[str, Any] = field(default_factory=dict)
    #: Our value for an optional field the partner requires and the body lacks: fill(the field's path as in
    #: profile.required_fields, the wire object that lacks it), or None when we have none (it stays absent).
    fill: Callable[[str, dict], Any] | None = None


def url_of(endpoint_url: str, path: str) -> str:
    """The object URL below a receiver endpoint, whether or not the endpoint ends with a slash."""
    return f"{endpoint_url.rstrip('/')}/{path}" if path else endpoint_url


def send(client: OcpiClient, endpoint_url: str, request: OutgoingRequest) -> OcpiResult:
    """Send `request` to the partner behind `client`: PUT instead of PATCH where they take no PATCH, and a
    PATCH they answer as an unknown object followed by GET and a PUT of the whole object."""
    profile = client.profile
    if request.method == "PATCH" and request.whole is not None and not profile.takes_patch(request.module):
        return _send(client, endpoint_url, request.whole)
    try:
        return _send(client, endpoint_url, request)
    except PartnerError as refused:
        if request.method != "PATCH" or request.whole is None or not _means_unknown(profile, refused):
            raise
        logger.info(
            "PATCH %s answered as an unknown object (%s): GET, then PUT of the whole object", request.path, refused
        )
        patch_answer = str(refused)
    _look_up(client, endpoint_url, request)
    try:
        return _send(client, endpoint_url, request.whole)
    except PartnerError as failed:
        # What the operator reads on the delivery: the PUT's answer, and why a PUT was sent at all.
        failed.args = (f"PUT {request.whole.path} after the PATCH was answered {patch_answer}: {failed}",)
        raise


def _means_unknown(profile: Profile, error: PartnerError) -> bool:
    """Whether a failure is the partner saying it lacks the object (an answer, not a transport failure)."""
    return profile.means_unknown_object(
        http_status=getattr(error, "http_status", None), status_code=getattr(error, "status_code", None)
    )


def _look_up(client: OcpiClient, endpoint_url: str, request: OutgoingRequest) -> None:
    """GET the object a PATCH could not change, as transport_and_format asks; raises only when the partner
    gave no answer (retryable: unreachable, server error), since the PUT follows whatever they answer."""
    try:
        client.request(
            "GET", url_of(endpoint_url, request.path), to_party=request.to_party, from_party=request.from_party
        )
    except PartnerError as exc:
        if exc.retryable and not _means_unknown(client.profile, exc):
            raise
        logger.info("GET %s: they do not have it (%s): PUT of the whole object", request.path, exc)
        return
    logger.info("GET %s: they have it but could not apply the PATCH: PUT of the whole object", request.path)


def _send(client: OcpiClient, endpoint_url: str, request: OutgoingRequest) -> OcpiResult:
    return client.request(
        request.method,
        url_of(endpoint_url, request.path),
        json=body_for(client.profile, request),
        to_party=request.to_party,
        from_party=request.from_party,
    )


def body_for(profile: Profile, request: OutgoingRequest) -> Any:
    """The body as this partner gets it: its extension fields passed back and, on a whole object, the
    optional fields it requires filled where absent. The request's own body is never changed."""
    body = request.body
    if not isinstance(body, dict):
        return body
    extensions = {
        name: request.extensions[name]
        for name in profile.extension_fields
        if name in request.extensions and name not in body
    }
    required = []
    if request.method != "PATCH" and request.fill is not None:
        required = [(path, names) for path in profile.required_fields if (names := _below(path, request))]
    if not extensions and not required:
        return body
    body = {**copy.deepcopy(body), **extensions}
    for path, names in required:
        _fill(body, path, names, request.fill)
    return body


def _below(path: str, request: OutgoingRequest) -> list[str]:
    """The names leading to a required field's `path` (e.g. "locations.evses.capabilities") from the body
    of `request`; empty when the field is not in this body."""
    module, _, rest = path.partition(".")
    if module != request.module:
        return []
    if request.part:
        prefix = f"{request.part}."
        if not rest.startswith(prefix):
            return []
        rest = rest[len(prefix) :]
    return rest.split(".") if rest else []


def _fill(body: dict, path: str, names: list[str], fill: Callable[[str, dict], Any]) -> None:
    """Set the field `names` lead to on each object of `body` that lacks it (a list is walked through).
    Absent and null are the same (an optional field left out "will revert to ... NULL")."""
    holders = [body]
    for name in names[:-1]:
        holders = [item for holder in holders for item in _objects(holder.get(name))]
    for holder in holders:
        if holder.get(names[-1]) is None:
            value = fill(path, holder)
            if value is not None:
                holder[names[-1]] = value


def _objects(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


@dataclass(frozen=True)
class RetryPolicy:
    """How a partner's failed deliveries are retried: backoff doubling from `base_delay` seconds up to
    `max_delay` between attempts, none once a delivery is `horizon` seconds old."""

    base_delay: float
    max_delay: float
    horizon: float


def retry_policy(profile: Profile) -> RetryPolicy:
    """The partner's retry policy: its profile's settings where given, else the platform's. A base delay of
    0 is taken as one second: retrying at once, again and again, would only hammer a partner in trouble."""
    base = settings.PUSH_RETRY_BASE_SECONDS if profile.retry_base_delay is None else max(profile.retry_base_delay, 1)
    horizon = settings.PUSH_RETRY_HORIZON_SECONDS if profile.retry_horizon is None else profile.retry_horizon
    return RetryPolicy(base_delay=base, max_delay=settings.PUSH_RETRY_MAX_SECONDS, horizon=horizon)
