import importlib
import pkgutil

from django.apps import AppConfig


class RoamingConfig(AppConfig):
    name = "roaming"
    verbose_name = "OCPI roaming"

    def ready(self):
        # JSON columns are decoded by the database driver; orjson does it several times faster.
        import orjson
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads)

        # Module services register how their objects are pushed and pulled when imported.
        import roaming.services as services

        for info in pkgutil.iter_modules(services.__path__):
            importlib.import_module(f"{services.__name__}.{info.name}")
