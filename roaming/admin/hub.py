"""A hub's view: parties reachable through it (Hub Client Info) and its routes."""

from django.contrib import admin, messages

from partners.admin_scoping import TenantScopedAdmin, operator_tenant
from roaming.admin.base import OcpiObjectAdmin
from roaming.models import ClientInfo, RouteStat
from roaming.services import routing


@admin.register(ClientInfo)
class ClientInfoAdmin(OcpiObjectAdmin):
    """Which parties are reachable through a hub (partner set), or published by this tenant as a hub."""

    list_display = ["party", "role", "status", "partner", "last_updated"]
    list_filter = [("partner", admin.EmptyFieldListFilter), "status", "role", "tenant"]
    search_fields = ["party_id", "country_code", "partner__name"]

    @admin.display(description="party", ordering="country_code")
    def party(self, obj):
        return f"{obj.country_code}*{obj.party_id}"


@admin.register(RouteStat)
class RouteAdmin(TenantScopedAdmin):
    """A hub tenant's routes: each party it connects, the partner platform it is reached through, how many
    requests were forwarded to it and how many failed; routing to a party can be suspended (answered 4003)."""

    list_display = ["party", "partner", "connection", "suspended", "forwarded", "errors", "last_forwarded_at"]
    list_filter = ["suspended", "tenant"]
    search_fields = ["country_code", "party_id", "partner__name", "last_error"]
    list_select_related = ["partner"]
    readonly_fields = [f.name for f in RouteStat._meta.fields]
    actions = ["suspend_routing", "resume_routing"]

    def has_module_permission(self, request):
        tenant = operator_tenant(request)
        return super().has_module_permission(request) and (tenant is None or routing.is_hub(tenant))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        tenant = operator_tenant(request)
        if tenant is not None and routing.is_hub(tenant):
            routing.routes(tenant=tenant)  # a row for every party the hub connects, asked for or not yet
        return super().changelist_view(request, extra_context)

    @admin.display(description="party", ordering="country_code")
    def party(self, obj):
        return str(obj)

    @admin.display(description="reached through")
    def connection(self, obj):
        return obj.partner.get_status_display()

    @admin.action(description="Suspend routing to the selected parties")
    def suspend_routing(self, request, queryset):
        count = routing.suspend(routes=queryset, suspended=True)
        self.message_user(request, f"Routing to {count} parties suspended: requests to them are answered 4003.")

    @admin.action(description="Resume routing to the selected parties")
    def resume_routing(self, request, queryset):
        count = routing.suspend(routes=queryset, suspended=False)
        self.message_user(request, f"Routing to {count} parties resumed.", messages.SUCCESS)
