"""Version information shared by every dialect: the versions list has one shape in all versions.

Reading a partner's versions list and version details is lenient the way every reading is (the
always-tolerated deviations of the compatibility notes): the 2.1.1-d2 `versions` wrapper, one
object where a list was due or a one-element list where an object was due, unknown fields, nulls,
surrounding blanks, case differences in module identifiers and roles, and version numbers written
loosely ("2.2" or "v2.2.1" for 2.2.1, ocpi/ocpi #143). No setting turns this off: nothing we could
do with a partner is lost by reading it so.

discover() finds out what a partner offers, for the handshake: their versions, then the details of the
version to use, our token in the form the partner's profile says and, when they refuse it (HTTP 401,
403, or an OCPI error such as 200 + 3000: partners answer all three), in the other form
(probe_token_form); what was refused and what worked is said, for the handshake's record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from partners.profile import Profile, TokenForm
from roaming.ocpi.client import OcpiClient, OcpiResult, PartnerError, PartnerHttpError, PartnerOcpiError
from roaming.ocpi.dialect import Dialect, Endpoint
from roaming.ocpi.dialects import all_dialects, get_dialect
from roaming.ocpi.errors import NoMatchingEndpoints, UnableToUseClientApi, UnsupportedVersion


def versions_list_to_wire(base_url: str, dialects: tuple[Dialect, ...] | None = None) -> list[dict]:
    """The `data` of GET versions: a bare list of {version, url} (2.1.1 erratum, 2.2.1)."""
    return [{"version": d.version, "url": f"{base_url}/{d.version}"} for d in (dialects or all_dialects())]


_LOOSE_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)$", re.IGNORECASE)


def known_version(reported: str) -> str | None:
    """The version we speak that `reported` names: itself, without a leading "v", or a major.minor that
    only one of our versions starts with ("2.1" is 2.1.1); None for anything else ("2.0", "3")."""
    match = _LOOSE_VERSION.match(reported.strip())
    if match is None:
        return None
    number = match.group(1)
    ours = [d.version for d in all_dialects()]
    if number in ours:
        return number
    if number.count(".") == 1:
        extending = [v for v in ours if v.startswith(number + ".")]
        if len(extending) == 1:
            return extending[0]
    return None


@dataclass(frozen=True)
class TheirVersions:
    """A partner's versions list: details URL per version, keyed by our spelling of the versions we know
    (theirs for the others), and how they wrote each version they wrote loosely."""

    urls: dict[str, str]
    reported: dict[str, str] = field(default_factory=dict)

    def __contains__(self, version: str) -> bool:
        return version in self.urls

    def __getitem__(self, version: str) -> str:
        return self.urls[version]

    def describe(self) -> str:
        """For the handshake's steps and the diagnosis: `2.1.1, 2.2.1 (reported as "2.2")`."""
        parts = [f'{v} (reported as "{self.reported[v]}")' if v in self.reported else v for v in sorted(self.urls)]
        return ", ".join(parts) or "none"


def versions_list_from_wire(data) -> TheirVersions:
    """A partner's versions list (the `data` of GET versions), read leniently; ValueError when it holds no
    list of versions at all. A version written exactly wins over another entry written loosely for it."""
    if isinstance(data, dict) and isinstance(data.get("versions"), list):
        data = data["versions"]  # 2.1.1-d2
    elif isinstance(data, dict) and "version" in data:
        data = [data]  # one version, sent as an object
    if not isinstance(data, list):
        raise ValueError("versions data is not a list")
    urls: dict[str, str] = {}
    reported: dict[str, str] = {}
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        version = entry.get("version")
        if isinstance(version, (int, float)) and not isinstance(version, bool):
            version = str(version)  # 2.2 as a JSON number
        if not isinstance(version, str) or not version.strip():
            continue
        written = version.strip()
        ours = known_version(written)
        key = ours or written
        exact = ours == written or ours is None
        if key in urls and (key not in reported or not exact):
            continue  # an exact entry for this version is already in, or a loose one came second
        urls[key] = entry["url"].strip()
        if exact:
            reported.pop(key, None)
        else:
            reported[key] = written
    return TheirVersions(urls, reported)


def version_details_document(data) -> dict:
    """The `data` of GET version details as the dialects read it: one object (a one-element list is
    unwrapped), endpoint identifiers in lower case, roles in upper case, URLs without surrounding blanks."""
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise ValueError("version details are not an object")
    endpoints = data.get("endpoints")
    if not isinstance(endpoints, list):
        return data
    tidy = []
    for entry in endpoints:
        if isinstance(entry, dict):
            entry = dict(entry)
            for name, change in (("identifier", str.lower), ("role", str.upper), ("url", str)):
                if isinstance(entry.get(name), str):
                    entry[name] = change(entry[name].strip())
        tidy.append(entry)
    return {**data, "endpoints": tidy}


# -- finding out what a partner offers ------------------------------------------------------------


class TokenRefused(PartnerError):
    """They refused our token in every form we tried."""

    retryable = False


def _refusal(exc: PartnerError) -> str | None:
    """How an answer says "not this token", as partners say it: HTTP 401 (the spec), 403, or an OCPI
    error code in a 2xx answer; None for any other failure."""
    if isinstance(exc, PartnerHttpError) and exc.http_status in (401, 403):
        return f"HTTP {exc.http_status}"
    if isinstance(exc, PartnerOcpiError):
        return f"OCPI {exc.status_code}"
    return None


def first_token_form(setting: str, dialect: Dialect) -> str:
    """The form to send our token in first (RAW or BASE64): the setting, or for AUTO the version's."""
    if setting != TokenForm.AUTO:
        return str(setting)
    return TokenForm.BASE64.value if dialect.token_base64 else TokenForm.RAW.value


def other_token_form(form: str) -> str:
    return TokenForm.RAW.value if form == TokenForm.BASE64 else TokenForm.BASE64.value


@dataclass(frozen=True)
class Probed:
    """The answer to a GET sent with our token, the form it was accepted in, and the forms refused before."""

    result: OcpiResult
    form: str
    refused: tuple[tuple[str, str], ...] = ()  # (form, how they refused it)

    def attempts(self) -> str:
        """What was tried, for the handshake's steps: `Base64 refused (HTTP 401), raw accepted`."""
        tried = [f"{TokenForm(form).label} refused ({why})" for form, why in self.refused]
        return ", ".join([*tried, f"{TokenForm(self.form).label} accepted"])


def get_probing(url: str, *, dialect: Dialect, token: str, form: str, profile: Profile) -> Probed:
    """GET `url` with `token` in `form`; when they refuse it and the profile probes, in the other form too."""
    forms = [form, other_token_form(form)] if profile.probe_token_form else [form]
    refused: list[tuple[str, str]] = []
    answers: list[str] = []
    for attempt in forms:
        client = OcpiClient(dialect=dialect, token=token, token_form=attempt, profile=profile)
        try:
            return Probed(client.get(url), attempt, tuple(refused))
        except PartnerError as exc:
            why = _refusal(exc)
            if why is None or len(forms) == 1:
                raise
            refused.append((attempt, why))
            answers.append(f"token sent {TokenForm(attempt).label}: {exc}")
    raise TokenRefused(f"refused in both token forms ({'; '.join(answers)})")


@dataclass(frozen=True)
class Discovery:
    dialect: Dialect
    endpoints: list[Endpoint]
    #: The token form their versions and details accepted, and what they refused on the way (for the record).
    token_form: str
    token_refusals: tuple[str, ...] = ()


#: Modules that set a connection up rather than exchange anything over it.
_CONFIGURATION = frozenset({"credentials", "versions"})


def discover(
    *,
    versions_url: str,
    token: str,
    profile: Profile,
    version: str | None = None,
    role_of_peer: Callable[[Dialect], str | None] | None = None,
    note: Callable[[str], None] = lambda text: None,
) -> Discovery:
    """Their versions and the details of the version to use: `version` (must be theirs), else the profile's
    pinned one, else the highest both sides speak; each step told to `note`. Raises 3001/3002/3003 as the
    credentials chapter says."""
    pinned = profile.pinned_version
    wanted = get_dialect(version) if version else (get_dialect(pinned) if pinned else None)
    guess = wanted or all_dialects()[0]
    try:
        listed = get_probing(
            versions_url,
            dialect=guess,
            token=token,
            form=first_token_form(profile.send_token_form, guess),
            profile=profile,
        )
        theirs = versions_list_from_wire(listed.result.data)
    except (PartnerError, ValueError) as exc:
        raise UnableToUseClientApi(f"Could not read the versions at {versions_url}: {exc}") from exc
    note(f"versions at {versions_url}: {theirs.describe()}; token {listed.attempts()}")
    if wanted is not None:
        if wanted.version not in theirs:
            raise UnsupportedVersion(f"The partner does not offer OCPI {wanted.version} (offers: {theirs.describe()})")
        chosen = wanted
    else:
        chosen = next((d for d in all_dialects() if d.version in theirs), None)
        if chosen is None:
            raise UnsupportedVersion(f"No OCPI version in common (partner offers: {theirs.describe()})")
    details_url = theirs[chosen.version]
    try:
        details = get_probing(details_url, dialect=chosen, token=token, form=listed.form, profile=profile)
        endpoints = chosen.module("versions").details_from_wire(
            version_details_document(details.result.data), peer_role=role_of_peer(chosen) if role_of_peer else None
        )
    except (PartnerError, ValueError) as exc:
        raise UnableToUseClientApi(f"Could not read the {chosen.version} details at {details_url}: {exc}") from exc
    note(
        f"OCPI {chosen.version} details at {details_url}: {len(endpoints)} endpoints "
        f"({', '.join(sorted({e.identifier for e in endpoints}))}); token {details.attempts()}"
    )
    if not any(e.identifier == "credentials" for e in endpoints):
        raise NoMatchingEndpoints(f"The partner's OCPI {chosen.version} details list no credentials endpoint")
    # status_codes 3003: "the two parties do not have any mutual modules": credentials alone connect nothing.
    if not any(e.identifier not in _CONFIGURATION and chosen.has_module(e.identifier) for e in endpoints):
        listed = ", ".join(sorted({e.identifier for e in endpoints}))
        raise NoMatchingEndpoints(
            f"No OCPI {chosen.version} module in common: the partner's details list only {listed}"
        )
    refusals = tuple(
        f"their {what} refused {TokenForm(form).label} ({why})"
        for what, probed in (("versions", listed), ("version details", details))
        for form, why in probed.refused
    )
    return Discovery(dialect=chosen, endpoints=endpoints, token_form=details.form, token_refusals=refusals)
