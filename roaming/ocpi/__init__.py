"""The OCPI protocol: transport, envelope, authentication, and one package per version (the only place
that knows wire formats)."""
