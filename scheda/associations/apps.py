from django.apps import AppConfig


class AssociationsConfig(AppConfig):
    name = "scheda.associations"
    label = "associations"
