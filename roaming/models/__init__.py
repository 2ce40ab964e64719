"""The OCPI module models, one file each, shaped after 2.2.1 and able to hold every 2.1.1 value."""

from roaming.models.cdrs import Cdr
from roaming.models.chargingprofiles import (
    ActiveChargingProfile,
    ChargingProfileDirection,
    ChargingProfileKind,
    ChargingProfileRequest,
    ChargingProfileStatus,
)
from roaming.models.clientinfo import ClientInfo, ConnectionStatus
from roaming.models.commands import Command, CommandDirection, CommandStatus, CommandType
from roaming.models.hub import Relay, RouteStat
from roaming.models.initialsync import InitialSync, SyncDirection
from roaming.models.invoicereconciliation import InvoiceReconciliationRecord
from roaming.models.locations import Connector, Evse, EvseStatus, Location
from roaming.models.outbox import Delivery, DeliveryMethod, DeliveryStatus
from roaming.models.sessions import Session, SessionStatus
from roaming.models.sync import SyncState
from roaming.models.tokens import Token, Whitelist
from roaming.models.wirecache import WireCache

__all__ = [
    "ActiveChargingProfile",
    "Cdr",
    "ChargingProfileDirection",
    "ChargingProfileKind",
    "ChargingProfileRequest",
    "ChargingProfileStatus",
    "ClientInfo",
    "Command",
    "CommandDirection",
    "CommandStatus",
    "CommandType",
    "ConnectionStatus",
    "Connector",
    "Delivery",
    "DeliveryMethod",
    "DeliveryStatus",
    "Evse",
    "EvseStatus",
    "InitialSync",
    "InvoiceReconciliationRecord",
    "Location",
    "Relay",
    "RouteStat",
    "Session",
    "SessionStatus",
    "SyncDirection",
    "SyncState",
    "Token",
    "Whitelist",
    "WireCache",
]
