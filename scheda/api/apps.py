from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "scheda.api"
    label = "api"
