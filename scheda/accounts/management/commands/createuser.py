from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scheda.accounts import services
from scheda.accounts.models import PermissionSet, Team
from scheda.errors import SchedaError


class Command(BaseCommand):
    help = "Create a user who can sign in."
    requires_system_checks: list[str] = []  # docs/DECISIONS.md 33

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--superuser", action="store_true")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--permission-set", default="", help="The name of the user's permission set (default: the installation's default set)")
        parser.add_argument("--team", action="append", default=[], help="A team to put the user in (made if missing); the first is the primary team")

    def handle(self, *args, **options):
        permission_set = None
        if options["permission_set"]:
            permission_set = PermissionSet.objects.filter(name=options["permission_set"]).first()
            if permission_set is None:
                raise CommandError(f"No permission set named {options['permission_set']!r}")
        try:
            with transaction.atomic():  # the user with their access, or no user
                user = services.create_user(options["email"], options["password"], superuser=options["superuser"],
                                            first_name=options["first_name"], last_name=options["last_name"])
                teams = [Team.objects.get_or_create(name=name)[0] for name in options["team"]]
                if permission_set is not None or teams:
                    services.set_user_access(user, None, permission_set=permission_set, superuser=user.is_superuser,
                                             teams=teams, primary_team=teams[0] if teams else None)
        except SchedaError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Created {'superuser' if user.is_superuser else 'user'} {user.email}")
