"""Celery tasks of the partners app: the handshakes we start, run by a worker."""

from celery import shared_task

from partners import handshake
from partners.models import Partner


@shared_task(acks_late=True, ignore_result=True)
def register_with_partner_task(partner_id: int) -> None:
    handshake.register_with_partner(partner=Partner.objects.get(pk=partner_id))


@shared_task(acks_late=True, ignore_result=True)
def update_with_partner_task(partner_id: int, version: str | None = None) -> None:
    handshake.update_with_partner(partner=Partner.objects.get(pk=partner_id), version=version)
