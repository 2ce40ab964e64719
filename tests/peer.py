"""A scripted OCPI partner on loopback for tests of everything that calls partners, what it commonly serves, and
what it sends to our credentials endpoint."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.factories import auth


class _Server(ThreadingHTTPServer):
    # A listen backlog for bursts of concurrent clients: the default of 5 resets the connections beyond it.
    request_queue_size = 128
    daemon_threads = True


class Peer:
    """A scripted partner: `routes` maps a path, or a (method, path) pair or "METHOD path" for one method only
    (either wins over the path), to (http status, headers, body), or to a function of the query parameters
    returning that; requests are recorded."""

    def __init__(self):
        self.routes: dict[str | tuple[str, str], tuple[int, dict, object]] = {}
        self.requests: list[dict] = []
        self.delay = 0.0  # seconds to wait before answering, to play a slow partner
        self.authorization: str | None = None  # when set, any other Authorization header is answered `refusal`
        self.refusal: tuple[int, dict, object] = (401, {}, {"status_code": 2000, "timestamp": "2026-01-01T00:00:00Z"})
        self.open_paths: set[str] = set()  # answered whatever the Authorization header
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                arrived = time.monotonic()  # before the delay: a hanging answer is recorded late
                if peer.delay:
                    time.sleep(peer.delay)  # the slow partner itself: its answer takes this long
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                peer.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "arrived": arrived,
                    }
                )
                path = self.path.split("?")[0]
                route = peer.routes.get(
                    (self.command, path),
                    peer.routes.get(f"{self.command} {path}", peer.routes.get(path, (404, {}, "not here"))),
                )
                if callable(route):
                    route = route(dict(parse_qsl(urlsplit(self.path).query)))
                status, headers, payload = route
                if (
                    peer.authorization is not None
                    and self.headers.get("Authorization") != peer.authorization
                    and path not in peer.open_paths
                ):
                    status, headers, payload = peer.refusal
                raw = (
                    payload
                    if isinstance(payload, bytes)
                    else (json.dumps(payload) if not isinstance(payload, str) else payload).encode()
                )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value.replace("{base}", peer.url))
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def fail(self, path, status_code, message="", http_status=200, headers=None, method=None):
        self.routes[(method, path) if method else path] = (
            http_status,
            headers or {},
            {"status_code": status_code, "status_message": message, "timestamp": "2026-01-01T00:00:00Z"},
        )

    def seen(self) -> list[tuple[str, str]]:
        """(method, path) of every request so far, in order."""
        return [(r["method"], r["path"]) for r in self.requests]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def ok(self, path, data, headers=None, status=200, method=None):
        self.routes[(method, path) if method else path] = (
            status,
            headers or {},
            {"data": data, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"},
        )


# -- what the peer serves ---------------------------------------------------------------------------------------


def serve_partner(peer: Peer, versions=("2.2.1", "2.1.1"), with_credentials=True, modules=("locations",)) -> None:
    """The peer's versions and the details of each: credentials (unless `with_credentials` is false) and
    `modules` as senders; without credentials, only a locations sender."""
    peer.ok("/versions", [{"version": v, "url": f"{peer.url}/{v}"} for v in versions])
    for v in versions:
        endpoints = [
            {"identifier": "credentials", "role": "SENDER", "url": f"{peer.url}/{v}/credentials"},
            *({"identifier": m, "role": "SENDER", "url": f"{peer.url}/{v}/{m}"} for m in modules),
        ]
        if not with_credentials:
            endpoints = [{"identifier": "locations", "role": "SENDER", "url": f"{peer.url}/{v}/locations"}]
        peer.ok(f"/{v}", {"version": v, "endpoints": endpoints})


def serve_cpo_to_register_with(peer: Peer, version: str = "2.2.1") -> None:
    """A CPO (NL*PEE) of `version` (2.2.1 or 2.3.0) a tenant registers with: versions, details with credentials and
    a locations sender, and a credentials POST answered with its token C "their-token-c"."""
    peer.ok("/versions", [{"version": version, "url": f"{peer.url}/{version}"}])
    peer.ok(
        f"/{version}",
        {
            "version": version,
            "endpoints": [
                {"identifier": "credentials", "role": "SENDER", "url": f"{peer.url}/{version}/credentials"},
                {"identifier": "locations", "role": "SENDER", "url": f"{peer.url}/{version}/locations"},
            ],
        },
    )
    peer.ok(
        f"/{version}/credentials",
        {
            "token": "their-token-c",
            "url": f"{peer.url}/versions",
            "roles": [
                {"role": "CPO", "party_id": "PEE", "country_code": "NL", "business_details": {"name": "Peer CPO"}}
            ],
        },
    )


# -- what the peer sends: its credentials, registering as the CPO NL*PEE with the eMSP tenant ------------------

ROLES_221 = [{"role": "CPO", "party_id": "PEE", "country_code": "NL", "business_details": {"name": "Peer"}}]


def credentials_221(peer: Peer, token: str = "peer-token-b") -> dict:
    return {"token": token, "url": f"{peer.url}/versions", "roles": ROLES_221}


def credentials_211(peer: Peer, token: str = "peer-token-b") -> dict:
    return {
        "token": token,
        "url": f"{peer.url}/versions",
        "party_id": "PEE",
        "country_code": "NL",
        "business_details": {"name": "Peer"},
    }


def post_credentials(client, version: str, body, token: str, **headers):
    """POST `body` to the eMSP tenant's credentials endpoint of `version` with `token` in that version's form."""
    return client.post(
        f"/ocpi/emsp/{version}/credentials",
        body,
        content_type="application/json",
        **auth(token, base64_form=version == "2.2.1"),
        **headers,
    )
