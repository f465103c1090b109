from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "scheda.web"
    label = "web"
