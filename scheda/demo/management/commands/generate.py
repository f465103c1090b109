from django.core.management.base import BaseCommand, CommandError

from scheda.accounts.models import User
from scheda.demo.dataset import SIZES, Generator, default_jobs


class Command(BaseCommand):
    help = "Generate a benchmark data set (S: 10k contacts, 50k activities; L: 1M contacts, 5M activities)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["S", "L"], default="S")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument("--jobs", type=int, help="processes writing each object type's records "
                                                     "(default: one a core, at most 8)")

    def handle(self, *args, **options):
        jobs = default_jobs() if options["jobs"] is None else options["jobs"]
        if jobs < 1:
            raise CommandError("--jobs must be 1 or more")
        owners = [str(pk) for pk in User.objects.filter(is_active=True).values_list("pk", flat=True)]
        generator = Generator(SIZES[options["size"]], seed=options["seed"], owner_ids=owners,
                              progress=not options["quiet"], jobs=jobs)
        rates = generator.run()
        for name, rate in rates.items():
            self.stdout.write(f"{name:<11} {len(generator.ids[name]):>10,} records {rate:>10,.0f} records/s")
