"""A module route: one interface of one module (e.g. locations SENDER, implemented by a CPO party).

Each file of roaming.api.modules declares its module's `ROUTES`; the module table (roaming.modules)
lists them, and the URLconf, version details and OpenAPI read them from there. A version lists a
route in its details only when its dialect has that module's wire format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Route:
    identifier: str
    role: str  # InterfaceRole
    party_role: str | None  # the tenant party role that implements this interface; None: any party
    views: tuple  # ((path suffix regex, view class), ...): suffix "" is the module root
    #: Longest value of each path segment (OCPI's CiString lengths): every view of the route refuses a longer
    #: one (roaming.api.base), and OpenAPI publishes them.
    segment_limits: Mapping[str, int] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "views", tuple(self.views))

    @property
    def segment(self) -> str:
        return self.role.lower()
