"""2.3.0 Hub Client Info (mod_hub_client_info): 2.2.1's, but the Role a ClientInfo names (types, Role) no
longer has HUB, since 2.3.0 names a hub by the credentials' hub_party_id; a ClientInfo of role HUB is
refused (2001, naming `role`). The platform publishes no hub as a client (roaming.services.hubclientinfo)."""

from __future__ import annotations

from typing import Literal

from partners.models import Role
from roaming.ocpi.v2_2_1 import hubclientinfo as v221

RoleValue = Literal[tuple(role for role in Role.values if role != Role.HUB)]


class ClientInfoWire(v221.ClientInfoWire):
    role: RoleValue


class HubClientInfo(v221.HubClientInfo):
    schema = ClientInfoWire
