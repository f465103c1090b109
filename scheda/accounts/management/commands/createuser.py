from django.core.management.base import BaseCommand, CommandError

from scheda.accounts import services
from scheda.errors import SchedaError


class Command(BaseCommand):
    help = "Create a user who can sign in."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options):
        try:
            user = services.create_user(options["email"], options["password"], superuser=options["superuser"],
                                        first_name=options["first_name"], last_name=options["last_name"])
        except SchedaError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created {'superuser' if user.is_superuser else 'user'} {user.email}")
