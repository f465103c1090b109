from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install(sender, using="default", **kwargs):
    from scheda.objects.services import install_standard_objects

    install_standard_objects()


class ObjectsConfig(AppConfig):
    name = "scheda.objects"
    label = "objects"

    def ready(self) -> None:
        # HubSpot's standard objects are data the code relies on; they are completed after every
        # migrate (idempotent), so a new database and a test database both have them.
        post_migrate.connect(_install, sender=self, dispatch_uid="scheda.objects.install")
