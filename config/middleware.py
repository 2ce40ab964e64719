"""The admin's browser middlewares, which OCPI requests pass untouched.

Sessions, the CSRF cookie, the logged-in user and messages serve the operators' browser sessions in the admin;
a partner's platform calling /ocpi/ authenticates with its token on every request and never reads them. Their
per-request steps (a session store, a CSRF cookie read, a lazy user, a message store, and their response
steps) cost about a tenth of the CPU of a real-time authorization, so OCPI paths skip them. Their view hooks
still run: CSRF's process_view lets through the views exempt from it (every DRF view and the lean path) and
checks any other one as before, reading the cookie itself.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware

OCPI_PREFIX = "/ocpi/"


class _BrowserOnly:
    def __call__(self, request):
        if request.path_info.startswith(OCPI_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class BrowserSessionMiddleware(_BrowserOnly, SessionMiddleware):
    pass


class BrowserCsrfViewMiddleware(_BrowserOnly, CsrfViewMiddleware):
    pass


class BrowserAuthenticationMiddleware(_BrowserOnly, AuthenticationMiddleware):
    pass


class BrowserMessageMiddleware(_BrowserOnly, MessageMiddleware):
    pass
