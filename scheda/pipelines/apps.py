from django.apps import AppConfig


class PipelinesConfig(AppConfig):
    name = "scheda.pipelines"
    label = "pipelines"
