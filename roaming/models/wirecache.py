"""Rendered wire JSON of objects, per OCPI version, reused until the object changes.

A page of a thousand locations is some 13,000 objects to read and translate; most of them have
not changed since the last page was served. Each object carries a revision that every write
bumps; a cached body is used only while its revision matches.
"""

from __future__ import annotations

from django.db import models


class WireCache(models.Model):
    module = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    version = models.CharField(max_length=10)
    revision = models.PositiveIntegerField()
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["module", "version", "object_id"], name="wire_cache_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.module} {self.object_id} in {self.version} (revision {self.revision})"
