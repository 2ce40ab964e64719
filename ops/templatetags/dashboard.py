"""The admin front page's dashboard: partner health and a 24-hour delivery chart drawn as inline SVG."""

from django import template

from ops.dashboard import deliveries_by_hour, partner_health
from partners.admin_scoping import operator_tenant

register = template.Library()

CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 480, 120, 2


@register.inclusion_tag("ops/dashboard.html", takes_context=True)
def roaming_dashboard(context):
    request = context["request"]
    tenant = operator_tenant(request)
    if tenant is None and not request.user.is_superuser:
        return {"visible": False}
    bars = deliveries_by_hour(tenant=tenant)
    peak = max([b.delivered + b.failed for b in bars] + [1])
    width = CHART_WIDTH / len(bars)
    shapes = []
    for index, bar in enumerate(bars):
        delivered_h = CHART_HEIGHT * bar.delivered / peak
        failed_h = CHART_HEIGHT * bar.failed / peak
        x = index * width
        shapes.append(
            {
                "x": round(x, 1),
                "w": round(width - BAR_GAP, 1),
                "delivered_y": round(CHART_HEIGHT - delivered_h, 1),
                "delivered_h": round(delivered_h, 1),
                "failed_y": round(CHART_HEIGHT - delivered_h - failed_h, 1),
                "failed_h": round(failed_h, 1),
                "title": f"{bar.hour:%H}:00 UTC: {bar.delivered} delivered, {bar.failed} failed",
            }
        )
    return {
        "visible": True,
        "tenant": tenant,
        "rows": partner_health(tenant=tenant),
        "bars": shapes,
        "peak": peak,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "totals": {"delivered": sum(b.delivered for b in bars), "failed": sum(b.failed for b in bars)},
        # With the day: "22:00 … 21:00" alone reads as time running backwards.
        "first_hour": f"{bars[0].hour:%b %d, %H}:00",
        "last_hour": f"{bars[-1].hour:%b %d, %H}:00",
    }
