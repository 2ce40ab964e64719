"""OCPI requests pass the admin's browser middlewares untouched; the admin keeps them all."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import (
    BrowserAuthenticationMiddleware,
    BrowserCsrfViewMiddleware,
    BrowserMessageMiddleware,
    BrowserSessionMiddleware,
)
from tests.factories import log_in_operator


def passed(path: str) -> dict:
    """The attributes the request carried when it reached the view, through the four middlewares."""
    seen = {}

    def view(request):
        seen.update({name: hasattr(request, name) for name in ("session", "user", "_messages")})
        return HttpResponse()

    chain = view
    for middleware in (BrowserMessageMiddleware, BrowserAuthenticationMiddleware, BrowserCsrfViewMiddleware):
        chain = middleware(chain)
    BrowserSessionMiddleware(chain)(RequestFactory().get(path))
    return seen


def test_an_ocpi_request_gets_no_session_user_or_messages():
    assert passed("/ocpi/emsp/2.2.1/sender/tokens/X/authorize") == {"session": False, "user": False, "_messages": False}


def test_an_admin_request_gets_session_user_and_messages():
    assert passed("/admin/") == {"session": True, "user": True, "_messages": True}


def test_a_view_under_ocpi_that_is_not_exempt_is_still_csrf_checked(client):
    client = type(client)(enforce_csrf_checks=True)
    assert client.post("/ocpi/openapi.json").status_code == 403


@pytest.mark.django_db
def test_the_admin_still_logs_in_with_its_session(client, emsp_tenant):
    log_in_operator(client, emsp_tenant)
    assert client.get("/admin/").status_code == 200
