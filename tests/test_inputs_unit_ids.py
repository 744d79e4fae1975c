"""Unit ids: NFC-equal ids are duplicates, case-colliding ids are refused, both places are named (issue 19.1)."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from checker.inputs.loaders import load_units
from checker.inputs.records import InvalidUnit, UnitRecord

NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")


def unit(uid: str, name: str = "测试党支部") -> dict:
    return {"unit_id": uid, "name": name, "org_type": "党支部", "period": {"start": "2025-01-01", "end": "2025-12-31"},
            "members": 10}


def write_units(path: Path, *ids: str) -> Path:
    path.write_text(json.dumps({"units": [unit(u) for u in ids]}, ensure_ascii=False), encoding="utf-8")
    return path


def test_ids_equal_after_nfc_are_duplicates_naming_both_places(tmp_path):
    write_units(tmp_path / "a.json", NFC)
    write_units(tmp_path / "b.json", NFD)
    items = list(load_units([tmp_path]))
    assert isinstance(items[0], UnitRecord) and items[0].unit_id == NFC
    assert isinstance(items[1], InvalidUnit)
    [problem] = items[1].problems
    assert problem.code == "duplicate-unit"
    assert "a.json" in problem.message and problem.location.file.endswith("b.json")


def test_ids_are_normalised_to_nfc_on_reading(tmp_path):
    [item] = load_units([write_units(tmp_path / "a.json", NFD)])
    assert item.unit_id == NFC and item.data["unit_id"] == NFC


def test_ids_differing_only_in_case_are_refused_as_colliding_names(tmp_path):
    items = list(load_units([write_units(tmp_path / "a.json", "GD-01", "gd-01")]))
    assert isinstance(items[0], UnitRecord)
    assert isinstance(items[1], InvalidUnit)
    [problem] = items[1].problems
    assert problem.code == "colliding-unit-id"
    assert "GD-01" in problem.message and "a.json:" in problem.message
