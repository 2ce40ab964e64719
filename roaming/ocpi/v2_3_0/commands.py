"""2.3.0 Commands (mod_commands): the tokens carried are 2.3.0 Tokens (EMAID among their types); the rest
is 2.2.1's (roaming.ocpi.v2_2_1.commands). CommandType is an OpenEnum in 2.3.0: a command of a partner's
own is a command, which no charge point we drive carries out, so it is answered NOT_SUPPORTED."""

from __future__ import annotations

from roaming.ocpi.v2_2_1 import commands as v221
from roaming.ocpi.v2_3_0.tokens import TokenWire


class ReserveNow(v221.ReserveNow):
    token: TokenWire


class StartSession(v221.StartSession):
    token: TokenWire


class Commands(v221.Commands):
    requests = {**v221.Commands.requests, "RESERVE_NOW": ReserveNow, "START_SESSION": StartSession}
    open_command_type = True
