"""OCPI 2.2.1: Base64 tokens, Sender/Receiver endpoint roles, owner fields in objects, hubs."""

from partners.models import Role
from roaming.ocpi.dialect import Dialect, discover_modules

dialect = Dialect(
    version="2.2.1",
    token_base64=True,
    one_party_per_connection=False,
    routing_headers=True,
    shares_restricted_locations=True,
    roles=tuple(Role.values),
)

discover_modules(__name__, __path__)
