"""Walking a partner's sender list (transport_and_format, pagination): Link followed, or offset when the Link is
missing, wrong or not to be followed, pages capped by the server, and the spec's advice when X-Total-Count drops."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from roaming.ocpi.client import OcpiClient
from roaming.ocpi.dialects import get_dialect


class ListServer:
    """A sender list of `objects` served with offset/limit, X-Total-Count and (unless told otherwise) Link."""

    def __init__(self, count: int, *, cap: int = 1000, link: str = "good"):
        self.objects = [{"id": str(i)} for i in range(count)]
        self.cap, self.link, self.asked = cap, link, []
        self.after_first_page = None  # called once the first page is served: to change the list mid-walk
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                query = dict(parse_qsl(urlsplit(self.path).query))
                server.asked.append(query)
                offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 10)), server.cap)
                page = server.objects[offset : offset + limit]
                headers = {"X-Total-Count": str(len(server.objects)), "X-Limit": str(limit)}
                more = offset + limit < len(server.objects)
                if more and server.link == "good":
                    headers["Link"] = f'<{server.url}/list?offset={offset + limit}&limit={limit}>; rel="next"'
                elif more and server.link == "broken":
                    headers["Link"] = f'<{server.url}/list?offset=0&limit={limit}>; rel="next"'  # loops back
                body = json.dumps({"data": page, "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}).encode()
                self.send_response(200)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if server.after_first_page is not None:
                    change, server.after_first_page = server.after_first_page, None
                    change(server)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    started = []

    def start(count, **kwargs):
        started.append(ListServer(count, **kwargs))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def walk(server, *, follow_link=True, limit=4):
    client = OcpiClient(dialect=get_dialect("2.2.1"), token="t")
    pages = list(client.iter_pages(f"{server.url}/list", params={"limit": limit}, follow_link=follow_link))
    return [o["id"] for page in pages for o in page], len(pages)


def test_link_pages_are_followed_to_the_end(serve):
    ids, pages = walk(serve(10))
    assert ids == [str(i) for i in range(10)] and pages == 3


def test_a_missing_link_is_walked_by_offset_while_x_total_count_says_there_is_more(serve):
    server = serve(10, link="none")
    ids, _ = walk(server)
    assert ids == [str(i) for i in range(10)]
    assert [q.get("offset") for q in server.asked] == [None, "4", "8"]


def test_a_broken_link_is_not_followed_when_the_profile_says_walk_by_offset(serve):
    ids, _ = walk(serve(10, link="broken"), follow_link=False)
    assert ids == [str(i) for i in range(10)]


def test_a_server_capping_its_pages_below_the_limit_is_walked_by_what_it_served(serve):
    server = serve(7, cap=3, link="none")
    ids, pages = walk(server, limit=100)
    assert ids == [str(i) for i in range(7)] and pages == 3
    assert [q.get("offset") for q in server.asked] == [None, "3", "6"]


def test_when_x_total_count_drops_the_walk_steps_back_and_misses_nothing(serve):
    """transport_and_format: "redo the previous GET with the offset lowered by 1"."""
    server = serve(10, link="good")
    server.after_first_page = lambda s: s.objects.pop(0)  # an object of the first page leaves the list
    ids, _ = walk(server)
    assert set(ids) >= {str(i) for i in range(1, 10)}
