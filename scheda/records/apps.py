from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "scheda.records"
    label = "records"
