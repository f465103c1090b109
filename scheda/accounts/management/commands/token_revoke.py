from django.core.management.base import BaseCommand, CommandError

from scheda.accounts import services
from scheda.accounts.models import ApiToken


class Command(BaseCommand):
    help = "Revoke API tokens by name."
    requires_system_checks: list[str] = []  # docs/DECISIONS.md 33

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)

    def handle(self, *args, **options):
        tokens = list(ApiToken.objects.filter(name=options["name"], revoked_at=None))
        if not tokens:
            raise CommandError(f"No active token named {options['name']!r}")
        for token in tokens:
            services.revoke_token(token)
        self.stdout.write(f"Revoked {len(tokens)} token(s)")
