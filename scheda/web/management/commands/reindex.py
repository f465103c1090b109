from django.core.management.base import BaseCommand, CommandError

from scheda.errors import NotFound
from scheda.objects.models import ObjectType
from scheda.objects.services import get_object_type
from scheda.records.services import rewrite_search_text


class Command(BaseCommand):
    help = ("Rewrite the records' search text from their searchable properties now (after those of a large object "
            "changed). Safe while the server runs; stopped halfway, run it again.")

    def add_arguments(self, parser):
        parser.add_argument("objects", nargs="*", metavar="OBJECT", help="object names or type ids (default: every object)")

    def handle(self, *args, **options):
        try:
            types = [get_object_type(name) for name in options["objects"]] or list(ObjectType.objects.filter(archived=False).order_by("pk"))
        except NotFound as exc:
            raise CommandError(exc.message) from None
        for object_type in types:
            rewritten = rewrite_search_text(object_type)
            self.stdout.write(f"{object_type.plural_label}: {rewritten} record{'' if rewritten == 1 else 's'} rewritten")
