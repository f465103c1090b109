from django.core.management.base import BaseCommand, CommandError

from scheda.backup import BackupError, check, restore


class Command(BaseCommand):
    help = ("Replace the database and the uploaded files with those of an archive made by `scheda backup`. "
            "Stop the server first (on SQLite the database file is replaced under it). The archive is checked "
            "against its manifest's checksums before anything changes; afterwards the restored copy is checked "
            "(SQLite's integrity and foreign key checks, no unapplied migrations, the manifest's counts).")

    def add_arguments(self, parser):
        parser.add_argument("path", help="an archive written by `scheda backup`")

    def handle(self, *args, **options):
        try:
            manifest = restore(options["path"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        problems = check(manifest)
        if problems:
            raise CommandError(f"restored from {options['path']}, but the check failed: {'; '.join(problems)}")
        counts = manifest["counts"]
        self.stdout.write(f"Restored {counts['records']} records, {counts['users']} users and {counts['files']} files "
                          f"from {options['path']} (made {manifest['created_at']}); the check passed")
