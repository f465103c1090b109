from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "scheda.accounts"
    label = "accounts"
