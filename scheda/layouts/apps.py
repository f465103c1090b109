from django.apps import AppConfig


class LayoutsConfig(AppConfig):
    name = "scheda.layouts"
    label = "layouts"
