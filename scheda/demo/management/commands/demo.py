import secrets

from django.core.management.base import BaseCommand

from scheda.accounts.models import User
from scheda.demo.dataset import SIZES, Generator
from scheda.records.models import PropertyChange

DEMO_ADMIN = "admin@scheda.local"
SOURCE_ID = "demo"


class Command(BaseCommand):
    help = "Load the demo data set once; on a database without users, create a demo admin."

    def handle(self, *args, **options):
        if not User.objects.exists():
            password = secrets.token_urlsafe(12)
            User.objects.create_superuser(DEMO_ADMIN, password, first_name="Demo", last_name="Admin")
            User.objects.create_user("giulia.rossi@scheda.local", secrets.token_urlsafe(16),
                                     first_name="Giulia", last_name="Rossi")
            User.objects.create_user("james.taylor@scheda.local", secrets.token_urlsafe(16),
                                     first_name="James", last_name="Taylor")
            self.stdout.write(self.style.SUCCESS(f"Sign in at /login/ as {DEMO_ADMIN} with password {password}"))
        if PropertyChange.objects.filter(source_id=SOURCE_ID).exists():
            self.stdout.write("Demo data is already loaded.")
            return
        owners = [str(pk) for pk in User.objects.filter(is_active=True).values_list("pk", flat=True)]
        Generator(SIZES["demo"], seed=2026, owner_ids=owners, progress=False, source_id=SOURCE_ID).run()
        self.stdout.write(self.style.SUCCESS("Loaded the demo data: contacts, companies, deals, tickets and activities."))
