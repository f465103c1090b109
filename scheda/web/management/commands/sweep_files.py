from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from scheda.activities.services import sweep_files


class Command(BaseCommand):
    help = ("Delete uploaded files that no attachment points at (left by a process killed between writing a file "
            "and committing its row, or between a delete's commit and the file's removal). Safe while the server runs.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=60, metavar="MINUTES",
                            help="keep files younger than this: their upload may still be committing (default 60)")

    def handle(self, *args, **options):
        if options["older_than"] < 0:
            raise CommandError("--older-than is a number of minutes, 0 or more")
        swept = sweep_files(timedelta(minutes=options["older_than"]))
        self.stdout.write(f"Deleted {len(swept)} file{'' if len(swept) == 1 else 's'} no attachment points at")
