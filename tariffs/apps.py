from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "tariffs"

    def ready(self):
        # The tariffs services register how tariffs are pushed and pulled when imported.
        import tariffs.services  # noqa: F401
