"""Version information shared by every dialect: the versions list has one shape in all versions.

Reading a partner's versions list and version details is lenient the way every reading is (the
always-tolerated deviations of the compatibility notes): the 2.1.1-d2 `versions` wrapper, one
object where a list was due or a one-element list where an object was due, unknown fields, nulls,
surrounding blanks, case differences in module identifiers and roles, and version numbers written
loosely ("2.2" or "v2.2.1" for 2.2.1, ocpi/ocpi #143). No setting turns this off: nothing we could
do with a partner is lost by reading it so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from roaming.ocpi.dialect import Dialect, all_dialects


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
