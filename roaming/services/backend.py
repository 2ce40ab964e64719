"""The charge point backend: what the platform hands accepted commands and charging profile requests to.

Its own module so that the services calling it (commands, charging profiles, charging preferences) and the
simulator that implements it (roaming.services.chargepoint, which calls those services back) import it
without importing each other. roaming.services.chargepoint describes the contract.
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from roaming.models import ChargingProfileRequest, Command, Evse, Session


class ChargePointBackend(Protocol):
    def dispatch(self, command: Command) -> None: ...

    def set_profile(self, request: ChargingProfileRequest) -> None: ...

    def get_profile(self, request: ChargingProfileRequest) -> None: ...

    def clear_profile(self, request: ChargingProfileRequest) -> None: ...

    def charging_preferences(self, *, session: Session, evse: Evse, preferences: dict) -> str: ...


def backend() -> ChargePointBackend:
    """The backend named by CHARGE_POINT_BACKEND."""
    return import_string(settings.CHARGE_POINT_BACKEND)()
