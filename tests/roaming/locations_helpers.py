"""Building unsaved model objects from internal location dicts, so translators can be tested without a database."""

from roaming.models import Connector, Evse, Location


def materialize(internal: dict) -> Location:
    """Unsaved Location/EVSE/Connector objects holding `internal`, children served from the prefetch cache."""
    location = Location(pk=1, **{k: v for k, v in internal.items() if k != "evses"})
    evses = []
    for index, evse_data in enumerate(internal.get("evses", []), start=1):
        evse = Evse(pk=index, **{k: v for k, v in evse_data.items() if k != "connectors"})
        connectors = [Connector(pk=n, **c) for n, c in enumerate(evse_data.get("connectors", []), start=1)]
        evse._prefetched_objects_cache = {"connectors": connectors}
        evses.append(evse)
    location._prefetched_objects_cache = {"evses": evses}
    return location


def normalized(wire):
    """Wire JSON with empty `*` lists dropped: absent and empty carry the same information."""
    if isinstance(wire, dict):
        return {k: normalized(v) for k, v in wire.items() if v != []}
    if isinstance(wire, list):
        return [normalized(v) for v in wire]
    return wire
