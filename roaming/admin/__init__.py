"""Admin of the roaming app, one module per area; importing them registers their model admins."""

from roaming.admin import (  # noqa: F401
    cdrs,
    chargingprofiles,
    commands,
    deliveries,
    hub,
    invoicereconciliation,
    locations,
    sessions,
    tariffs,
    tokens,
)
