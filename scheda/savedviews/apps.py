from django.apps import AppConfig


class SavedViewsConfig(AppConfig):
    name = "scheda.savedviews"
    label = "savedviews"
