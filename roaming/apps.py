from django.apps import AppConfig


class RoamingConfig(AppConfig):
    name = "roaming"
    verbose_name = "OCPI roaming"

    def ready(self):
        # JSON columns are decoded by the database driver; orjson does it several times faster.
        import orjson
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads)

        # The outbox and sync learn from the module table how each module's objects are pushed and pulled.
        # Imported here: the table reaches views and services, which need the app registry ready.
        from roaming import modules
        from roaming.services import outbox, sync

        for pushable in modules.pushables():
            outbox.register_pushable(pushable)
        for pullable in modules.pullables():
            sync.register_pullable(pullable)
