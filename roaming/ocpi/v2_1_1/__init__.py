"""OCPI 2.1.1: raw tokens, one party per connection, no hub status codes."""

from partners.models import Role
from roaming.ocpi import status
from roaming.ocpi.dialect import Dialect, discover_modules

dialect = Dialect(
    version="2.1.1",
    token_base64=False,
    one_party_per_connection=True,
    roles=(Role.CPO, Role.EMSP),
    # 2004 and the 4xxx hub codes exist only in 2.2.1 (VERSION-DIFFERENCES 3.7).
    status_fallbacks={status.UNKNOWN_TOKEN: status.CLIENT_ERROR, status.HUB_ERROR: status.SERVER_ERROR},
)

discover_modules(__name__, __path__)
