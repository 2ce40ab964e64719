"""OCPI 2.1.1: raw tokens, one party per connection, no hub status codes."""

from partners.models import Role
from roaming.ocpi import status
from roaming.ocpi.dialect import Dialect
from roaming.ocpi.v2_1_1 import cdrs, commands, credentials, locations, sessions, tariffs, tokens, versions

dialect = Dialect(
    version="2.1.1",
    token_base64=False,
    one_party_per_connection=True,
    roles=(Role.CPO, Role.EMSP),
    # 2004 and the 4xxx hub codes exist only in 2.2.1 (VERSION-DIFFERENCES 3.7).
    status_fallbacks={status.UNKNOWN_TOKEN: status.CLIENT_ERROR, status.HUB_ERROR: status.SERVER_ERROR},
    modules={
        "cdrs": cdrs.Cdrs(),
        "commands": commands.Commands(),
        "credentials": credentials.CredentialsTranslator(),
        "locations": locations.Locations(),
        "sessions": sessions.Sessions(),
        "tariffs": tariffs.Tariffs(),
        "tokens": tokens.Tokens(),
        "versions": versions.Versions(),
    },
)
