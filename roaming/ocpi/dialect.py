"""The Dialect interface: everything one OCPI version knows about the wire, as one object.

Code outside the version packages never compares version strings; it asks the dialect it was
handed (`dialect.module("locations").to_wire(location)`). The version packages are discovered,
so adding a version means adding a package `roaming/ocpi/v<major>_<minor>_<patch>/` that
defines `dialect`; its module files subclass the translators of roaming/ocpi/shared/ (or of the
version it extends) and write only what the version defines its own way.
"""

from __future__ import annotations

import base64
import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from partners.models import InterfaceRole, Role


@dataclass
class Endpoint:
    """One entry of a version details document, in internal (2.2.1-style) terms."""

    identifier: str
    role: str  # InterfaceRole
    url: str


@dataclass
class Dialect:
    """One OCPI version: its wire modules, token form and status-code vocabulary.

    `modules` maps a module identifier to the object holding that module's wire schema and
    translators; version packages register them with `@dialect.register(...)`.
    """

    version: str
    token_base64: bool
    # Roles a party of this version can be (2.1.1: CPO and EMSP only).
    roles: tuple[str, ...]
    # A connection speaks for one party in one role (2.1.1), or for a platform's every role (2.2.1).
    one_party_per_connection: bool
    # Functional modules carry OCPI-from/to routing headers (2.2.1 message routing).
    routing_headers: bool = False
    # Unpublished locations with publish_allowed_to are shared, the receiver filtering who sees them (2.2.1).
    shares_restricted_locations: bool = False
    # Status codes this version does not know, mapped to the nearest it does.
    status_fallbacks: dict[int, int] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.version

    def __hash__(self) -> int:
        return hash(self.version)

    def register(self, identifier: str):
        """Class decorator: an instance becomes this version's translator of module `identifier`. The class
        knows its dialect (`cls.dialect`), so that code shared by versions asks the right one for other modules."""

        def decorator(cls):
            cls.dialect = self
            self.modules[identifier] = cls()
            return cls

        return decorator

    def module(self, identifier: str):
        return self.modules[identifier]

    def has_module(self, identifier: str) -> bool:
        return identifier in self.modules

    def status_code(self, code: int) -> int:
        """`code` in this version's vocabulary: an exact fallback, else one for its whole range."""
        return self.status_fallbacks.get(code, self.status_fallbacks.get(code // 1000 * 1000, code))

    def encode_token(self, token: str, *, form: str = "AUTO") -> str:
        """The Authorization header value for `token` (form: AUTO, BASE64 or RAW)."""
        use_base64 = self.token_base64 if form == "AUTO" else form == "BASE64"
        value = base64.b64encode(token.encode()).decode() if use_base64 else token
        return f"Token {value}"

    def supports_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def sort_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


@cache
def all_dialects() -> tuple[Dialect, ...]:
    """Every version package under roaming.ocpi, newest first."""
    import roaming.ocpi as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and info.name.startswith("v"):
            found.append(importlib.import_module(f"{package.__name__}.{info.name}").dialect)
    return tuple(sorted(found, key=lambda d: d.sort_key, reverse=True))


def get_dialect(version: str) -> Dialect | None:
    return next((d for d in all_dialects() if d.version == version), None)


def dialect_of(partner) -> Dialect | None:
    """The dialect of the version negotiated with `partner`; None before one is (or for one we do not speak)."""
    return get_dialect(partner.version) if partner.version else None


def discover_modules(package_name: str, package_path) -> None:
    """Import every module file of a version package so that each registers itself."""
    for info in pkgutil.iter_modules(package_path):
        importlib.import_module(f"{package_name}.{info.name}")


__all__ = [
    "Dialect",
    "Endpoint",
    "InterfaceRole",
    "Role",
    "all_dialects",
    "dialect_of",
    "get_dialect",
    "discover_modules",
]
