"""File names derived from unit ids: safe on every file system, stable, and distinct for distinct ids."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

# Characters Windows, macOS or Linux refuse in a file name, or that would change the directory.
_UNSAFE = re.compile(r'[\\/:*?"<>|#%\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_STEM = 80
# The tail a cleaned stem gets; an id that already ends like one is hashed too, so no id used
# unchanged can equal another id's cleaned stem (compared case-insensitively).
_HASH_TAIL = re.compile(r"-[0-9a-f]{8}$", re.IGNORECASE)


def unit_stem(unit_id: str) -> str:
    """The file stem for a unit: the id itself when it is a safe name, else a cleaned id plus a short hash.

    Unit ids are unique in a run, also after NFC and case folding (checker.inputs.unit_ids); the
    hash keeps two ids that clean to the same text apart (`A/B` and `A:B`), and an id that is already
    safe is used unchanged (`GD-07` → `GD-07`). Every output file named after user data uses this.
    """
    text = unicodedata.normalize("NFC", str(unit_id))
    cleaned = _UNSAFE.sub("_", text).strip().strip(".")
    safe = (cleaned == text and 0 < len(text) <= MAX_STEM and not text.startswith("-")
            and text.upper().split(".")[0] not in _WINDOWS_RESERVED and not _HASH_TAIL.search(text))
    if safe:
        return text
    digest = hashlib.sha256(str(unit_id).encode("utf-8")).hexdigest()[:8]
    base = cleaned.lstrip("-")[:MAX_STEM] or "unit"
    return f"{base}-{digest}"


def notice_path(unit_id: str, ext: str) -> str:
    """`notices/<stem>.<ext>`: where the unit's 整改通知书 goes (relative to --out)."""
    return f"notices/{unit_stem(unit_id)}.{ext}"


def ledger_path(unit_id: str) -> str:
    """`ledgers/<stem>.xlsx`: the unit's own 整改台账 (relative to --out)."""
    return f"ledgers/{unit_stem(unit_id)}.xlsx"


def href(relative_path: str) -> str:
    """A relative path as a URL for links between outputs (non-ASCII and spaces percent-encoded)."""
    return quote(relative_path, safe="/")
