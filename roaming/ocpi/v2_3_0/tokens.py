"""2.3.0 Tokens (mod_tokens): TokenType is an OpenEnum with EMAID (ISO 15118 contract ids); the rest is
2.2.1's (roaming.ocpi.v2_2_1.tokens)."""

from __future__ import annotations

from roaming.ocpi.v2_2_1 import tokens as v221
from roaming.ocpi.v2_3_0.types import OpenEnum

KNOWN_TOKEN_TYPES = (*v221.TokenType.__args__, "EMAID")
#: No longer than the column keeping it (roaming.models.tokens).
TokenType = OpenEnum(KNOWN_TOKEN_TYPES, max_length=12)


class TokenWire(v221.TokenWire):
    type: TokenType


class AuthorizationInfoWire(v221.AuthorizationInfoWire):
    token: TokenWire


class Tokens(v221.Tokens):
    schema = TokenWire
    authorization_schema = AuthorizationInfoWire
    types = KNOWN_TOKEN_TYPES
