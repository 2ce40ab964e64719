"""The credentials exchanged in the handshake, independent of the version that carries them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CredentialsRole:
    role: str
    country_code: str
    party_id: str
    business_details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Credentials:
    """A platform's credentials: the token to call it with, its versions URL and the roles it speaks for."""

    token: str
    url: str
    roles: tuple[CredentialsRole, ...]
