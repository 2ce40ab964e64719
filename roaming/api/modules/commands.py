"""Commands endpoints (mod_commands, both versions).

Receiver (a tenant's CPO parties): POST {command} with the command's request object, answered
with a CommandResponse. Sender (a tenant's eMSP parties): POST {command}/{uid}, the response_url
we handed out with a command we sent, where the CPO delivers the charge point's result.
"""

from __future__ import annotations

import re

from partners.models import InterfaceRole, Role
from roaming.api.base import OcpiView
from roaming.api.routes import Route
from roaming.models import CommandType
from roaming.ocpi.errors import InvalidParameters, status_code_of
from roaming.services import commands

MODULE = "commands"
#: A 2.3.0 command of the caller's own: an OpenEnum value, printable ASCII.
_OWN_COMMAND = re.compile(r"[\x21-\x7e]{1,255}")


def command_type(value: str, *, open_enum: bool = False) -> str:
    """The URL's command; with `open_enum` (2.3.0) also one of the caller's own, printable ASCII."""
    if value in CommandType.values or (open_enum and _OWN_COMMAND.fullmatch(value)):
        return value
    raise InvalidParameters(f"URL segment command is not a CommandType: {value[:40]!r}")


class ReceiverView(OcpiView):
    def post(self, request, tenant, version, command):
        translator = self.dialect.module(MODULE)
        command = command_type(command, open_enum=translator.open_command_type)
        if command not in translator.commands:
            answer = commands.not_supported(command, self.dialect)
        else:
            data, response_url = translator.request_from_wire(
                command, self.body(), token_owner=commands.token_owner(self.partner)
            )
            answer = commands.receive_command(
                tenant=self.tenant, partner=self.partner, command=command, request=data, response_url=response_url
            )
        return self.ok(
            translator.response_to_wire(result=answer.result, timeout=answer.timeout, message=answer.message),
            status_code=status_code_of(answer.refused_as) if answer.refused_as else None,
        )


class ResultView(OcpiView):
    def post(self, request, tenant, version, command, uid):
        result = self.dialect.module(MODULE).result_from_wire(self.body())
        commands.record_result(
            tenant=self.tenant, partner=self.partner, command=command_type(command), uid=uid, result=result
        )
        return self.ok()


ROUTES = (
    Route(MODULE, InterfaceRole.RECEIVER, Role.CPO, views=[(r"/(?P<command>[^/]+)", ReceiverView)]),
    Route(MODULE, InterfaceRole.SENDER, Role.EMSP, views=[(r"/(?P<command>[^/]+)/(?P<uid>[^/]+)", ResultView)]),
)
