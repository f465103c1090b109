from django.core.management.base import BaseCommand, CommandError

from scheda.accounts import services
from scheda.accounts.models import User
from scheda.errors import SchedaError


class Command(BaseCommand):
    help = "Create an API access token (every scope unless --scopes names some); prints only the token."
    requires_system_checks: list[str] = []  # docs/DECISIONS.md 33

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--scopes", nargs="*", default=None, help="HubSpot scope names, space or comma separated")
        parser.add_argument("--user", default=None, help="e-mail of the user the token acts for")

    def handle(self, *args, **options):
        scopes = [s for item in options["scopes"] or [] for s in item.split(",") if s]
        user = None
        if options["user"]:
            user = User.objects.filter(email=options["user"].lower()).first()
            if user is None:
                raise CommandError(f"No user with e-mail {options['user']}")
        try:
            _token, secret = services.create_token(options["name"], scopes or None, user)
        except SchedaError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(secret)
