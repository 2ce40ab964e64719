"""The OCPI versions the platform speaks, and finding the one a partner or a URL names.

A new version is one package under roaming/ocpi/ and one entry in DIALECTS.
"""

from __future__ import annotations

from roaming.ocpi import v2_1_1, v2_2_1, v2_3_0
from roaming.ocpi.dialect import Dialect

#: Newest first: negotiation picks the first both sides speak.
DIALECTS: tuple[Dialect, ...] = (v2_3_0.dialect, v2_2_1.dialect, v2_1_1.dialect)

_BY_VERSION = {dialect.version: dialect for dialect in DIALECTS}


def all_dialects() -> tuple[Dialect, ...]:
    return DIALECTS


def get_dialect(version: str) -> Dialect | None:
    return _BY_VERSION.get(version)


def dialect_of(partner) -> Dialect | None:
    """The dialect of the version negotiated with `partner`; None before one is (or for one we do not speak)."""
    return get_dialect(partner.version) if partner.version else None
