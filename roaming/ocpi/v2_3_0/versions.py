"""2.3.0 version details: as 2.2.1's (roaming.ocpi.v2_2_1.versions). ModuleID is an OpenEnum: an
endpoint of a module of the partner's own is read like any other and never called."""

from roaming.ocpi.v2_2_1 import versions as v221


class Versions(v221.Versions):
    pass
