"""The outgoing OCPI client: how the platform calls partners, in their version.

One requests.Session per client; connect and read timeouts from settings; connection attempts
retried (never a request the partner may have received); the token in the form the dialect or
the partner's profile says; X-Request-ID / X-Correlation-ID on every request; routing headers
for functional modules; envelope unwrapping; iteration over Link pages.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from json import dumps
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from partners.profile import Profile
from roaming.ocpi import status
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.dialects import dialect_of
from roaming.ocpi.headers import PartyRef, correlation_id_var, routing_headers


class PartnerError(Exception):
    """Calling a partner failed; `retryable` says whether trying again later may help."""

    retryable = True


class PartnerUnreachable(PartnerError):
    """Connection refused, DNS failure or timeout."""


class PartnerHttpError(PartnerError):
    def __init__(self, http_status: int, body: str, retry_after: float | None = None, status_code: int | None = None):
        self.http_status = http_status
        self.status_code = status_code
        self.body = body[:2000]
        self.retry_after = retry_after
        self.retryable = http_status >= 500 or http_status == 429
        super().__init__(f"HTTP {http_status}: {self.body[:200]}")


class PartnerBadResponse(PartnerError):
    """The answer is not JSON or not an OCPI envelope."""

    retryable = False


class PartnerOcpiError(PartnerError):
    def __init__(self, status_code: int, message: str, data: Any = None):
        self.status_code = status_code
        self.message = message
        self.data = data
        self.retryable = status_code >= 3000
        super().__init__(f"OCPI {status_code}: {message}")


@dataclass
class OcpiResult:
    data: Any
    status_code: int
    status_message: str
    http_status: int
    headers: dict = field(default_factory=dict)
    timestamp: Any = None  # the envelope's, as sent

    def header(self, name: str) -> str:
        """A header of the answer by name, whatever its case ("" when absent)."""
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), "")

    def object(self) -> Any:
        """`data` where the spec promises one object: partners also send it as a one-element list."""
        if isinstance(self.data, list) and len(self.data) == 1:
            return self.data[0]
        return self.data


_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


def next_page_url(link: str | None) -> str | None:
    """The URL of `Link: <…>; rel="next"`, or None on the last page (or a Link that says nothing usable)."""
    match = _LINK_NEXT.search(link or "")
    return match.group(1) if match else None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


class OcpiClient:
    def __init__(
        self,
        *,
        dialect: Dialect | None,
        token: str,
        token_form: str = "AUTO",
        from_party: PartyRef | None = None,
        session: requests.Session | None = None,
        profile: Profile | None = None,
    ):
        self.dialect = dialect
        self.profile = profile or Profile(send_token_form=token_form)
        self.read_timeout = self.profile.request_timeout or settings.OCPI_CLIENT_READ_TIMEOUT
        self.token = token
        self.token_form = token_form
        self.from_party = from_party
        self.session = session or _shared_session()
        # Routing headers go where the version has them, unless the partner's profile says always or never.
        self.sends_routing_headers = self.profile.wants_routing_headers(bool(dialect and dialect.routing_headers))

    @staticmethod
    def _new_session() -> requests.Session:
        session = _PartnerSession()
        retry = Retry(
            total=None,
            connect=settings.OCPI_CLIENT_CONNECT_RETRIES,
            read=0,
            status=0,
            other=0,
            backoff_factor=0.2,
            allowed_methods=None,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=20)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def authorization(self) -> str:
        """The Authorization header's value, in the token form of the partner's version and profile."""
        return self._authorization()

    def _authorization(self) -> str:
        if self.dialect is not None:
            return self.dialect.encode_token(self.token, form=self.token_form)
        return f"Token {self.token}"

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict | None = None,
        to_party: PartyRef | None = None,
        from_party: PartyRef | None = None,
        expect_success: bool = True,
    ) -> OcpiResult:
        correlation = correlation_id_var.get()
        headers = {
            "Authorization": self._authorization(),
            "Accept": "application/json",
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": correlation if correlation != "-" else str(uuid.uuid4()),
        }
        if to_party is not None and self.sends_routing_headers:
            headers.update(routing_headers(from_party=from_party or self.from_party, to_party=to_party))
        if params:
            url = _with_query(url, params)
        if json is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = _exchange(
                self.session,
                method,
                url,
                # Encoded as requests encodes it: partners (and their signatures of bodies) see the same bytes.
                body=None if json is None else dumps(json, allow_nan=False).encode(),
                headers=headers,
                timeout=urllib3.Timeout(connect=settings.OCPI_CLIENT_CONNECT_TIMEOUT, read=self.read_timeout),
            )
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise PartnerUnreachable(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
        http_status, answer = response.status, response.data
        try:
            body = orjson.loads(answer)  # a page of 1000 locations is megabytes: several times faster
        except ValueError:
            text = answer.decode(errors="replace")
            if http_status >= 300:
                raise PartnerHttpError(http_status, text, _retry_after(response.headers.get("Retry-After"))) from None
            raise PartnerBadResponse(f"{method} {url}: answer is not JSON: {text[:200]!r}") from None
        if not isinstance(body, dict) or not isinstance(body.get("status_code"), int):
            if http_status >= 300:
                raise PartnerHttpError(http_status, answer.decode(errors="replace"))
            raise PartnerBadResponse(f"{method} {url}: answer is not an OCPI envelope")
        result = OcpiResult(
            data=body.get("data"),
            status_code=body["status_code"],
            status_message=str(body.get("status_message") or ""),
            http_status=http_status,
            headers=dict(response.headers),
            timestamp=body.get("timestamp"),
        )
        if http_status >= 300:
            raise PartnerHttpError(
                http_status,
                f"OCPI {result.status_code}: {result.status_message}",
                _retry_after(response.headers.get("Retry-After")),
                status_code=result.status_code,
            )
        if expect_success and not status.is_success(result.status_code):
            raise PartnerOcpiError(result.status_code, result.status_message, result.data)
        return result

    def get(self, url: str, **kwargs) -> OcpiResult:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, json: Any = None, **kwargs) -> OcpiResult:
        return self.request("POST", url, json=json, **kwargs)

    def put(self, url: str, json: Any, **kwargs) -> OcpiResult:
        return self.request("PUT", url, json=json, **kwargs)

    def patch(self, url: str, json: Any, **kwargs) -> OcpiResult:
        return self.request("PATCH", url, json=json, **kwargs)

    def delete(self, url: str, **kwargs) -> OcpiResult:
        return self.request("DELETE", url, **kwargs)

    def iter_pages(
        self,
        url: str,
        *,
        params: dict | None = None,
        to_party: PartyRef | None = None,
        from_party: PartyRef | None = None,
        follow_link: bool = True,
    ) -> Iterator[list]:
        """Yield the `data` list of each page of a sender list (transport_and_format, pagination).

        Pages follow `Link: <…>; rel="next"` when `follow_link` (the partner's profile) and the header is
        there; otherwise by `offset`, counting what came, while X-Total-Count says there is more, so a server
        whose Link is missing or wrong and one that caps its pages are walked all the same. When X-Total-Count
        drops during a walk (an object left the filtered list), the spec advises to redo the previous GET with
        the offset lowered by one and go on from there: a duplicate is harmless, a skipped object is not.
        """
        base_params = dict(params or {})
        next_url: str | None = url
        request_params: dict | None = base_params
        offset = 0  # where the next object stands in their list, as far as we can tell
        previous_total: int | None = None
        step_backs = 0
        while next_url:
            result = self.get(next_url, params=request_params, to_party=to_party, from_party=from_party)
            if result.data is None:  # an empty `*` list "might be null, [] or the field might be omitted" (terminology)
                result.data = []
            if not isinstance(result.data, list):
                raise PartnerBadResponse(f"GET {next_url}: data of a list endpoint is not a list")
            yield result.data
            started, offset = offset, offset + len(result.data)
            total = _int_header(result.headers, "X-Total-Count")
            shrunk = previous_total is not None and total is not None and total < previous_total
            if shrunk and step_backs < _MAX_STEP_BACKS:
                # What left the list shifted later objects down into pages already read: ask again for this page
                # from as many places earlier (bounded, so a list that keeps shrinking still ends).
                offset, step_backs = max(started - (previous_total - total), 0), step_backs + 1
            previous_total = total if total is not None else previous_total
            link = next_page_url(result.headers.get("Link")) if follow_link and not shrunk else None
            if link:
                next_url, request_params = link, None  # the Link URL carries the filters
            elif result.data and total is not None and offset < total:
                next_url, request_params = url, {**base_params, "offset": offset}
            else:
                next_url = None


_MAX_STEP_BACKS = 100


def _int_header(headers: dict, name: str) -> int | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None


class _PartnerSession(requests.Session):
    """A session that reads the environment's proxy, no-proxy, CA bundle and netrc settings once per host, not
    on every request: requests walks os.environ (twice) and looks for ~/.netrc each time, a quarter of the
    client's CPU per push. The process's environment is its configuration, read once, like settings."""

    def __init__(self):
        super().__init__()
        self._environment: dict = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        key = (urlsplit(url)[:2], tuple(sorted((proxies or {}).items())), stream, verify, cert)
        if key not in self._environment:
            self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        return self._environment[key]


def _with_query(url: str, params: dict) -> str:
    """The URL with `params` appended to its query, as requests encodes them (None values left out)."""
    query = urlencode([(key, value) for key, value in params.items() if value is not None], doseq=True)
    if not query:
        return url
    return f"{url}{'&' if urlsplit(url).query else '?'}{query}"


def _exchange(session: requests.Session, method: str, url: str, *, body, headers: dict, timeout: urllib3.Timeout):
    """One request over the session's kept-alive connections, straight through urllib3: the session's adapter
    gives the connection pool (its proxy, TLS verification and connect retries, from the environment read once
    per host), and requests' own preparing of the request and building of the response, half of a push's CPU,
    is left out. The answer is read whole (preload_content)."""
    environment = session.merge_environment_settings(url, {}, None, None, None)
    target = requests.PreparedRequest()
    target.url = url
    adapter = session.get_adapter(url)
    pool = adapter.get_connection_with_tls_context(
        target, environment["verify"], environment["proxies"], environment["cert"]
    )
    return pool.urlopen(
        method,
        adapter.request_url(target, environment["proxies"]),
        body=body,
        headers={**session.headers, **headers},
        redirect=False,
        assert_same_host=False,
        preload_content=True,
        decode_content=True,
        retries=adapter.max_retries,
        timeout=timeout,
    )


_local = threading.local()


def _shared_session() -> requests.Session:
    """This thread's session, so calls to a partner reuse its kept-alive connections (a delivery, a pull page
    or an authorization would otherwise pay a new TCP and TLS handshake each). Per process too: a session
    inherited across a fork would share sockets with the parent."""
    pid = os.getpid()
    if getattr(_local, "pid", None) != pid:
        _local.pid, _local.session = pid, OcpiClient._new_session()
    return _local.session


def client_for(partner, *, session: requests.Session | None = None) -> OcpiClient:
    """A client that calls `partner` in its negotiated version with the token we hold for it."""
    from_party = None
    if partner.bound_party_id:
        from_party = PartyRef(partner.bound_party.country_code, partner.bound_party.party_id)
    profile = partner.profile
    return OcpiClient(
        dialect=dialect_of(partner),
        token=partner.token_to_them,
        token_form=profile.send_token_form,
        from_party=from_party,
        session=session,
        profile=profile,
    )
