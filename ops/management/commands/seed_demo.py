from django.conf import settings
from django.core.management.base import BaseCommand

from ops.demo import ADMIN_PASSWORD, ADMIN_USERNAME, connect_demo_tenants, seed_demo


class Command(BaseCommand):
    help = "Seed the demo tenants and print how to reach them."

    def handle(self, *args, **options):
        seeded = seed_demo()
        if connect_demo_tenants() is not None:
            self.stdout.write("The demo eMSP registers with the demo CPO as soon as the platform is up.")
        base = settings.OCPI_BASE_URL.rstrip("/")
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"Admin:     {base}/admin/   login {ADMIN_USERNAME} / {ADMIN_PASSWORD}"))
        for item in seeded:
            out.write(f"Tenant {item.tenant.slug}: operator login {item.operator_username} / {ADMIN_PASSWORD}")
            out.write(f"  versions: {item.tenant.versions_url}")
            out.write(f"  try:      curl -H 'Authorization: Token {item.curl_token}' {item.tenant.versions_url}")
        out.write("")
