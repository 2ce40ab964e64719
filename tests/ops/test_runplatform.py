"""runplatform listens where OCPI_BASE_URL points: the URLs handed to partners (and the demo's own handshake) go
there."""

import pytest

from ops.management.commands.runplatform import base_url_addr


@pytest.mark.parametrize(
    ("base_url", "addr"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://127.0.0.1:8001/", "127.0.0.1:8001"),
        ("http://localhost", "localhost:80"),
        ("http://[::1]:9000", "[::1]:9000"),
        ("https://roaming.example.com", None),  # a TLS proxy answers there, not runserver
    ],
)
def test_the_address_to_listen_on_is_that_of_the_base_url(base_url, addr):
    assert base_url_addr(base_url) == addr
