"""OCPI URLs: /ocpi/<tenant>/versions, /ocpi/<tenant>/<version>, and every module below it."""

from django.urls import include, re_path

from roaming import modules
from roaming.api import lean
from roaming.api.catchall import UnknownRouteView
from roaming.api.credentials import CredentialsView
from roaming.api.hub import RelayView
from roaming.api.openapi import openapi_view
from roaming.api.versions import VersionDetailsView, VersionsView

TENANT = r"(?P<tenant>[a-z0-9][a-z0-9-]{0,62})"
VERSION = r"(?P<version>\d+\.\d+(?:\.\d+)?)"


def _module_patterns():
    """One prefix per module interface, its views below it: a request's path is tried against a dozen
    prefixes rather than every view of every module."""
    for route in modules.routes():
        views = [
            re_path(rf"^{suffix.removeprefix('/')}/?$" if suffix else "^$", lean.as_view(view, route))
            for suffix, view in route.views
        ]
        yield re_path(rf"^{TENANT}/{VERSION}/{route.segment}/{route.identifier}(?:/|$)", include(views))


urlpatterns = [
    re_path(r"^openapi\.json$", openapi_view, name="ocpi-openapi"),
    re_path(rf"^{TENANT}/versions/?$", VersionsView.as_view(), name="ocpi-versions"),
    re_path(rf"^{TENANT}/{VERSION}/?$", VersionDetailsView.as_view(), name="ocpi-version-details"),
    re_path(rf"^{TENANT}/{VERSION}/credentials/?$", CredentialsView.as_view(), name="ocpi-credentials"),
    re_path(rf"^{TENANT}/{VERSION}/hub/relay/(?P<key>[0-9a-f-]{{36}})/?$", RelayView.as_view(), name="ocpi-hub-relay"),
    *_module_patterns(),
    re_path(r"^.*$", UnknownRouteView.as_view()),
]
