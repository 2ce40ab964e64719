"""Version information shared by every dialect: the versions list has one shape in all versions."""

from __future__ import annotations

from roaming.ocpi.dialect import Dialect, all_dialects


def versions_list_to_wire(base_url: str, dialects: tuple[Dialect, ...] | None = None) -> list[dict]:
    """The `data` of GET versions: a bare list of {version, url} (2.1.1 erratum, 2.2.1)."""
    return [{"version": d.version, "url": f"{base_url}/{d.version}"} for d in (dialects or all_dialects())]


def versions_list_from_wire(data) -> dict[str, str]:
    """{version: details url} from a partner's versions list; tolerates the 2.1.1-d2 `versions` wrapper."""
    if isinstance(data, dict) and isinstance(data.get("versions"), list):
        data = data["versions"]
    if not isinstance(data, list):
        raise ValueError("versions data is not a list")
    found = {}
    for entry in data:
        if isinstance(entry, dict) and isinstance(entry.get("version"), str) and isinstance(entry.get("url"), str):
            found[entry["version"]] = entry["url"]
    return found
