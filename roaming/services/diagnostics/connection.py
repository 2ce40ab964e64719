"""Diagnosing the connection: which token forms they take, what they answer to an unknown token, their
versions and the details of our version as a handshake reads them."""

from __future__ import annotations

import re
import secrets

from partners.models import Partner, PartnerEndpoint, TokenForm
from partners.profile import Profile
from roaming.ocpi.client import OcpiClient, OcpiResult, PartnerError, PartnerHttpError
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.status import is_success
from roaming.ocpi.versions import (
    first_token_form,
    other_token_form,
    version_details_document,
    versions_list_from_wire,
)
from roaming.services.diagnostics.report import EXAMPLES, PROBLEM, QUIRK, TOLERATED, Report


def answer(client: OcpiClient, url: str, **kwargs) -> tuple[OcpiResult | None, str]:
    """Their answer, and its shape when it is not a success: the HTTP status ("403"), "200 + 3000" for an
    OCPI error code in a 2xx answer, or the failure."""
    try:
        result = client.get(url, expect_success=False, **kwargs)
    except PartnerHttpError as exc:
        return None, str(exc.http_status)
    except PartnerError as exc:
        return None, str(exc)
    if not is_success(result.status_code):
        return result, f"{result.http_status} + {result.status_code}"
    return result, ""


#: Answers to a token they do not take, besides the spec's HTTP 401, that a probing handshake reads as such.
TOKEN_SHAPES = re.compile(r"^(403|\d{3} \+ \d{4})$")


def check_token_forms(report: Report, partner: Partner, dialect: Dialect, url: str) -> str:
    """Which Authorization forms their server takes; returns the form to go on with (ours, or the one they
    take when they refuse ours)."""
    shapes = {}
    for form in (TokenForm.RAW, TokenForm.BASE64):
        client = OcpiClient(
            dialect=dialect, token=partner.token_to_them, token_form=form.value, profile=partner.profile
        )
        try:
            result = client.get(url, params={"limit": 1}, expect_success=False)
            accepted = is_success(result.status_code)
            report.token_forms[form.value] = "accepted" if accepted else f"refused: OCPI {result.status_code}"
            shapes[form.value] = "" if accepted else f"{result.http_status} + {result.status_code}"
        except PartnerError as exc:
            report.token_forms[form.value] = f"refused: {exc}"
            shapes[form.value] = str(exc.http_status) if isinstance(exc, PartnerHttpError) else str(exc)
    ours = first_token_form(partner.profile.send_token_form, dialect)
    other = other_token_form(ours)
    version_form = first_token_form(TokenForm.AUTO, dialect)
    refused = [form for form in (ours, other) if shapes[form]]
    for form in refused:
        if TOKEN_SHAPES.match(shapes[form]):
            report.found(
                QUIRK,
                "wrong_form_answer",
                f"answers {shapes[form]} to the wrong token form",
                settings={"probe_token_form": True},
                examples=[f"token sent {TokenForm(form).label} to {url}: {report.token_forms[form]}"],
            )
            break
    if ours not in refused:
        return ours
    if other in refused:
        report.found(
            PROBLEM,
            "token_refused",
            f"refuses the token we hold in both forms (raw: {report.token_forms['RAW']}; Base64: "
            f"{report.token_forms['BASE64']}): update the credentials, or ask them for a new token",
        )
        return ours
    if other == version_form:
        text = (
            f"refuses the token form set by hand ({TokenForm(ours).label}); takes {TokenForm(other).label}, as "
            f"OCPI {dialect} prescribes"
        )
        wanted = TokenForm.AUTO.value
    else:
        text = f"requires {TokenForm(other).label if other == TokenForm.BASE64 else 'the raw token'} in {dialect}"
        wanted = other
    report.found(
        QUIRK,
        "token_form",
        text,
        settings={"send_token_form": wanted},
        examples=[f"token sent {TokenForm(ours).label} to {url}: {report.token_forms[ours]}"],
    )
    return other


def check_unknown_token(report: Report, dialect: Dialect, form: str, url: str, profile: Profile) -> None:
    """What they answer to a token nobody holds: the spec says HTTP 401; a probing handshake reads 403 and
    an OCPI error the same way."""
    stranger = OcpiClient(dialect=dialect, token=f"unknown-{secrets.token_hex(8)}", token_form=form, profile=profile)
    result, shape = answer(stranger, url)
    if TOKEN_SHAPES.match(shape):
        report.found(
            QUIRK,
            "unknown_token_answer",
            f"answers {shape} to an unknown token",
            settings={"probe_token_form": True},
            examples=[f"GET {url} with an unknown token: {shape}"],
        )
    elif result is not None and not shape:
        report.found(
            TOLERATED,
            "unknown_token_accepted",
            f"answers an unknown token with success at {url}",
            examples=[f"GET {url} with an unknown token: HTTP {result.http_status} + {result.status_code}"],
        )


def check_versions(report: Report, tenant, partner: Partner, dialect: Dialect, client: OcpiClient) -> None:
    """Their versions list and the details of our version, as a handshake would read them."""
    try:
        theirs = versions_list_from_wire(client.get(partner.versions_url).data)
    except (PartnerError, ValueError) as exc:
        report.found(PROBLEM, "versions", f"Could not read their versions at {partner.versions_url}: {exc}")
        return
    for version, written in theirs.reported.items():
        report.found(
            TOLERATED, "loose_version", f'reports version "{written}" for {version}', examples=[theirs.describe()]
        )
    if dialect.version not in theirs:
        report.found(
            PROBLEM,
            "version_gone",
            f"no longer offers OCPI {dialect} (offers: {theirs.describe()}): update the credentials to another version",
        )
        return
    details_url = theirs[dialect.version]
    try:
        document = version_details_document(client.get(details_url).data)
        listed = dialect.module("versions").details_from_wire(document)
    except (PartnerError, ValueError) as exc:
        report.found(PROBLEM, "version_details", f"Could not read their {dialect} details at {details_url}: {exc}")
        return
    stored = set(PartnerEndpoint.objects.for_tenant(tenant).filter(partner=partner).values_list("identifier", "url"))
    now = {(e.identifier, e.url) for e in listed}
    if now != stored:
        changes = [f"new {i} {u}" for i, u in sorted(now - stored)] + [f"gone {i} {u}" for i, u in sorted(stored - now)]
        report.found(
            PROBLEM,
            "endpoints_changed",
            f"their {dialect} endpoints changed since the handshake: update the credentials to read them again",
            examples=changes[:EXAMPLES],
        )
