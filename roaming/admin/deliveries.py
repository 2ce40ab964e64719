"""The push queue and the pulls an operator watches and mends."""

from django.contrib import admin, messages

from partners.admin_scoping import TenantScopedAdmin
from roaming.models import Delivery, DeliveryStatus, SyncState
from roaming.services import jobs, outbox, sync


@admin.register(Delivery)
class DeliveryAdmin(TenantScopedAdmin):
    list_display = [
        "created",
        "partner",
        "status",  # before the long columns: visible without scrolling
        "method",
        "module",
        "object_path",
        "changes",
        "attempts",
        "next_attempt_at",
        "last_http_status",
        "last_status_code",
        "correlation_id",
    ]
    list_filter = ["status", "module", "method", "tenant"]
    search_fields = ["object_path", "partner__name", "correlation_id"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected failed or pending deliveries now")
    def retry_now(self, request, queryset):
        count = outbox.retry(deliveries=queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]))
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


@admin.register(SyncState)
class SyncStateAdmin(TenantScopedAdmin):
    list_display = [
        "partner",
        "module",
        "enabled",
        "interval_seconds",
        "cursor",
        "running_since",
        "last_completed_at",
        "last_pages",
        "last_objects",
        "last_rejected",
        "last_error",
    ]
    list_filter = ["module", "enabled", "tenant"]
    list_editable = ["enabled", "interval_seconds"]
    readonly_fields = [
        "partner",
        "module",
        "cursor",
        "running_since",
        "last_started_at",
        "last_completed_at",
        "last_pages",
        "last_objects",
        "last_rejected",
        "last_refused",
        "last_error",
        "full_resync_requested",
    ]
    actions = ["pull_now", "full_resync"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Pull the selected modules now")
    def pull_now(self, request, queryset):
        for state in queryset:
            jobs.enqueue(jobs.PULL, state.pk)
        self.message_user(request, f"{queryset.count()} pulls queued.", messages.SUCCESS)

    @admin.action(description="Full resync: fetch everything again at the next pull")
    def full_resync(self, request, queryset):
        count = sync.request_full_resync(states=queryset)
        for state in queryset:
            jobs.enqueue(jobs.PULL, state.pk)
        self.message_user(request, f"{count} full resyncs queued.", messages.SUCCESS)
