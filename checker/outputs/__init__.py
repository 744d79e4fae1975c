"""Output formats: one pure function per format turning findings into text or bytes, written atomically."""
from __future__ import annotations

from checker.atomic import write_atomic

__all__ = ["write_atomic"]
