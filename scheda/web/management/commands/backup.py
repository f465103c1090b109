from django.core.management.base import BaseCommand, CommandError

from scheda.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Write one archive (a .tar.gz) at PATH with the database (SQLite's online backup, or pg_dump on "
            "PostgreSQL), every uploaded file and a manifest with counts and SHA-256 checksums. Safe while the "
            "server runs. The archive holds every record and password hash: keep it private.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the archive file to write, e.g. scheda-2026-11-27.tar.gz")
        parser.add_argument("--force", action="store_true", help="replace PATH if it exists")

    def handle(self, *args, **options):
        try:
            manifest = backup(options["path"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = manifest["counts"]
        self.stdout.write(f"Backed up {counts['records']} records, {counts['users']} users and {counts['files']} files "
                          f"({manifest['database']}) to {options['path']}")
