from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "scheda.demo"
    label = "demo"
