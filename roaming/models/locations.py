"""Locations, EVSEs and Connectors: one model each, shaped after 2.2.1, holding every 2.1.1 value.

Owner fields (country_code, party_id) say whose object it is; `partner` is NULL for the tenant's
own data (what it sends) and names the partner an object was received from otherwise. OCPI ids
are CiStrings: stored as received, unique and looked up case-insensitively. Sub-objects that are
never queried on their own (hours, images, energy mix, business details ...) are JSON in their
2.2.1 shape. 2.3.0 additions (parking places, accepted service providers, help phone, connector
capabilities) are fields of their own, empty for objects from older versions. Values only 2.1.1
can carry are kept beside them for lossless 2.1.1 round trips (VERSION-DIFFERENCES 15.3): the
2.1.1 LocationType when it has no ParkingType, and the 2.1.1 form of the opening hours.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from partners.tenancy import TenantOwned
from roaming.models.base import PartyOwned


class EvseStatus(models.TextChoices):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class Location(PartyOwned):
    location_id = models.CharField(max_length=39)
    publish = models.BooleanField(default=True)
    publish_allowed_to = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=45)
    postal_code = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=45, blank=True)
    country = models.CharField(max_length=3)
    latitude = models.CharField(max_length=10)
    longitude = models.CharField(max_length=11)
    related_locations = models.JSONField(default=list, blank=True)
    parking_type = models.CharField(max_length=20, blank=True)
    #: 2.1.1 LocationType when it has no 2.2.1 ParkingType (OTHER, UNKNOWN).
    location_type = models.CharField(max_length=20, blank=True)
    directions = models.JSONField(default=list, blank=True)
    operator = models.JSONField(null=True, blank=True)
    suboperator = models.JSONField(null=True, blank=True)
    owner = models.JSONField(null=True, blank=True)
    facilities = models.JSONField(default=list, blank=True)
    time_zone = models.CharField(max_length=255, blank=True)
    opening_times = models.JSONField(null=True, blank=True)
    #: The opening hours exactly as a 2.1.1 partner sent them (twentyfourseven or regular_hours).
    opening_times_211 = models.JSONField(null=True, blank=True)
    charging_when_closed = models.BooleanField(null=True, blank=True)
    images = models.JSONField(default=list, blank=True)
    energy_mix = models.JSONField(null=True, blank=True)
    #: 2.3.0 Parking objects (vehicle types, dimensions, accessibility), which EVSEs refer to by id.
    parking_places = models.JSONField(default=list, blank=True)
    #: 2.3.0 help_phone: the number a driver may call for assistance.
    help_phone = models.CharField(max_length=25, blank=True)
    last_updated = models.DateTimeField(db_index=True)
    #: Bumped by every write to the location, its EVSEs or connectors (keys the rendered-page cache).
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "country_code", "party_id", Upper("location_id"), name="location_unique_per_owner"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "partner", "last_updated"])]

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id} {self.location_id}"

    @property
    def object_path(self) -> str:
        return f"{self.country_code}/{self.party_id}/{self.location_id}"


class Evse(TenantOwned):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="evses")
    uid = models.CharField(max_length=39)
    evse_id = models.CharField(max_length=48, blank=True)
    status = models.CharField(max_length=12, choices=EvseStatus.choices, default=EvseStatus.UNKNOWN)
    status_schedule = models.JSONField(default=list, blank=True)
    capabilities = models.JSONField(default=list, blank=True)
    floor_level = models.CharField(max_length=4, blank=True)
    latitude = models.CharField(max_length=10, blank=True)
    longitude = models.CharField(max_length=11, blank=True)
    physical_reference = models.CharField(max_length=16, blank=True)
    directions = models.JSONField(default=list, blank=True)
    parking_restrictions = models.JSONField(default=list, blank=True)
    images = models.JSONField(default=list, blank=True)
    #: 2.3.0 EVSEParking references: parking_id into the location's parking_places, evse_position.
    parking = models.JSONField(default=list, blank=True)
    #: 2.3.0: names of the eMSPs whose contracts are accepted at this EVSE.
    accepted_service_providers = models.JSONField(default=list, blank=True)
    last_updated = models.DateTimeField()
    #: Position in the location's list, so lists come back in the order they were sent.
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "EVSE"
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint("location", Upper("uid"), name="evse_unique_per_location")]

    def __str__(self) -> str:
        return self.evse_id or self.uid

    @property
    def is_removed(self) -> bool:
        return self.status == EvseStatus.REMOVED


class Connector(TenantOwned):
    evse = models.ForeignKey(Evse, on_delete=models.CASCADE, related_name="connectors")
    connector_id = models.CharField(max_length=36)
    standard = models.CharField(max_length=30)
    format = models.CharField(max_length=6)
    power_type = models.CharField(max_length=20)
    max_voltage = models.PositiveIntegerField()
    max_amperage = models.PositiveIntegerField()
    max_electric_power = models.PositiveIntegerField(null=True, blank=True)
    tariff_ids = models.JSONField(default=list, blank=True)
    terms_and_conditions = models.CharField(max_length=255, blank=True)
    #: 2.3.0 ConnectorCapability values (ISO 15118 Plug & Charge ...).
    capabilities = models.JSONField(default=list, blank=True)
    last_updated = models.DateTimeField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint("evse", Upper("connector_id"), name="connector_unique_per_evse"),
        ]

    def __str__(self) -> str:
        return f"{self.connector_id} {self.standard}"
