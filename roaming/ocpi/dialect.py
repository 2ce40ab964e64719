"""The Dialect interface: everything one OCPI version knows about the wire, as one object.

Code outside the version packages never compares version strings; it asks the dialect it was
handed (`dialect.module("locations").to_wire(location)`). Adding a version means adding a package
`roaming/ocpi/v<major>_<minor>_<patch>/` whose `__init__` declares its `dialect` with every module
translator it has, and naming that dialect in roaming.ocpi.dialects; its module files subclass
the translators of roaming/ocpi/shared/ (or of the version it extends) and write only what the
version defines its own way.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Protocol

from partners.models import InterfaceRole, Role


@dataclass
class Endpoint:
    """One entry of a version details document, in internal (2.2.1-style) terms."""

    identifier: str
    role: str  # InterfaceRole
    url: str


class Translator(Protocol):
    """What every module translator of a version provides: the dialect it belongs to (set by the dialect)."""

    dialect: Dialect


class ObjectTranslator(Translator, Protocol):
    """A module whose objects are stored and exchanged whole (locations, tariffs, sessions, CDRs, tokens).

    `supports_patch` says whether the version lets a sender PATCH it; `to_wire` / `from_wire` translate
    between the internal model and the version's JSON. Its wire schemas (`schema`, or `schemas` by level
    for locations) validate bodies and describe them in OpenAPI.
    """

    supports_patch: bool

    def to_wire(self, obj: Any) -> dict: ...

    def from_wire(self, data: Any, **kwargs: Any) -> dict: ...


@dataclass
class Dialect:
    """One OCPI version: its wire modules, token form and status-code vocabulary.

    `modules` maps a module identifier to the object holding that module's wire schema and
    translators (a `Translator`), as the version package declares them.
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
    # A hub's credentials list the parties reachable through it as roles of its own (2.3.0).
    hub_clients_are_roles: bool = False
    # Status codes this version does not know, mapped to the nearest it does.
    status_fallbacks: dict[int, int] = field(default_factory=dict)
    modules: dict[str, Translator] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.version

    def __hash__(self) -> int:
        return hash(self.version)

    def __post_init__(self):
        # A translator knows its dialect, so that code shared by versions asks the right one for other modules.
        # Kept when a dialect is copied with other modules (roaming.ocpi.inbound.receiving).
        for translator in self.modules.values():
            if getattr(translator, "dialect", None) is None:
                translator.dialect = self

    def module(self, identifier: str) -> Any:
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


__all__ = [
    "Dialect",
    "Endpoint",
    "InterfaceRole",
    "Role",
]
