"""One file per OCPI module: its views and the `ROUTES` that serve them (listed in roaming.modules)."""
