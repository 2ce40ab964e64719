"""What a partner's compatibility profile adds to a whole object received from it, pushed or pulled.

The dialect translates the wire object; this boundary then completes what it made of it for one partner:

- extension fields (profile.extension_fields): fields outside the spec that the partner sends and wants
  back (e.g. `gireve_id`) are kept, as sent, in the object's `extensions`; only the names the profile
  lists, so nothing else a partner sends is stored. A whole object (PUT, a pulled one) replaces them; a
  PATCH leaves them as they are. An authorization answer's extension fields (Gireve's `authorization_id`)
  go with the decision into the session it starts, and from there into its CDR.
- a default time zone (profile.default_time_zone): 2.1.1 makes Location.time_zone optional; a location
  received without one gets the partner's default, else UTC (the 2.2.1 rule for times without a zone),
  so local times (opening hours, tariff restrictions) are read in a known zone.

Receiver views call `received()` after translating a body; pulls ingest through `receiving()`, the
partner's dialect whose translators do the same, so the modules' ingest services never read a profile.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from partners.profile import Profile
from roaming.ocpi.dialect import Dialect

#: Modules whose objects keep the partner's extension fields (their models have `extensions`).
KEEPS_EXTENSIONS = ("cdrs", "locations", "sessions", "tariffs", "tokens")


def received(profile: Profile, module: str, wire: Any, data: dict, *, level: str = "location") -> dict:
    """`data`, translated from the whole wire object `wire` of `module`, completed as the partner's profile
    says. `level` is the locations level ("location", "evse" or "connector"); only a location holds
    extension fields and a time zone."""
    if module not in KEEPS_EXTENSIONS or level != "location" or not isinstance(wire, dict):
        return data
    data["extensions"] = extension_values(profile, wire)
    if module == "locations" and not data.get("time_zone"):
        data["time_zone"] = profile.default_time_zone or "UTC"
    return data


def extension_values(profile: Profile, wire: dict) -> dict:
    """The fields of `wire` outside the spec that the partner wants back, as sent."""
    return {name: wire[name] for name in profile.extension_fields if name in wire}


def receiving(dialect: Dialect, profile: Profile) -> Dialect:
    """`dialect` as it reads whole objects from one partner: each from_wire returns what received() makes
    of its translation. Everything else is the dialect's own."""
    modules = {
        name: _Receiving(translator, profile, name) if name in KEEPS_EXTENSIONS else translator
        for name, translator in dialect.modules.items()
    }
    return dataclasses.replace(dialect, modules=modules)


class _Receiving:
    """A module's translators, with from_wire completed for one partner."""

    def __init__(self, translator, profile: Profile, module: str):
        self._translator, self._profile, self._module = translator, profile, module

    def from_wire(self, wire, **kwargs) -> dict:
        data = self._translator.from_wire(wire, **kwargs)
        return received(self._profile, self._module, wire, data, level=kwargs.get("level", "location"))

    def authorization_from_wire(self, wire) -> dict:
        answer = self._translator.authorization_from_wire(wire)
        answer["extensions"] = extension_values(self._profile, wire) if isinstance(wire, dict) else {}
        return answer

    def __getattr__(self, name: str):
        return getattr(self._translator, name)
