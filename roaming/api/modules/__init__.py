"""One file per OCPI module; each registers its routes with roaming.api.registry."""
