"""Where one of the tenant's own sessions charges: its EVSE and connector among the tenant's own locations.

A session names its location, EVSE and connector by id (CiStrings, compared case-insensitively) under the
session's owner party; these selectors are the one place that turns those ids into rows.
"""

from __future__ import annotations

from django.db.models import QuerySet

from roaming.models import Connector, Evse, Session


def evses_of(session: Session) -> QuerySet:
    """The EVSE the session names (at most one row), of the session owner's own locations."""
    return Evse.objects.filter(
        tenant_id=session.tenant_id,
        location__partner__isnull=True,
        location__country_code=session.country_code,
        location__party_id=session.party_id,
        location__location_id__iexact=session.location_id,
        uid__iexact=session.evse_uid,
    )


def connectors_of(session: Session) -> QuerySet:
    """The connector the session names (at most one row), of the session owner's own locations."""
    return Connector.objects.filter(
        tenant_id=session.tenant_id,
        evse__location__partner__isnull=True,
        evse__location__country_code=session.country_code,
        evse__location__party_id=session.party_id,
        evse__location__location_id__iexact=session.location_id,
        evse__uid__iexact=session.evse_uid,
        connector_id__iexact=session.connector_id,
    )
