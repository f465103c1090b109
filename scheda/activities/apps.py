from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "scheda.activities"
    label = "activities"
