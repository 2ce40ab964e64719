"""Module routes: each api file registers its views; the URLconf and version details read this.

A route is one interface of one module (e.g. locations SENDER, implemented by a CPO party).
A version lists a route in its details only when its dialect has that module's wire format.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Route:
    identifier: str
    role: str  # InterfaceRole
    party_role: str | None  # the tenant party role that implements this interface; None: any party
    views: tuple  # ((path suffix regex, view class), ...): suffix "" is the module root

    @property
    def segment(self) -> str:
        return self.role.lower()


_ROUTES: list[Route] = []


def register(identifier: str, role: str, party_role: str | None, views: list[tuple[str, type]]) -> Route:
    route = Route(identifier, role, party_role, tuple(views))
    _ROUTES.append(route)
    return route


@cache
def routes() -> tuple[Route, ...]:
    """Every module route; importing each file of roaming.api.modules registers its own."""
    import roaming.api.modules as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return tuple(_ROUTES)
