"""Evidence as people read it: Chinese names for item kinds and fields (from the records schema), values formatted."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Mapping

from checker.inputs import schema as S
from checker.render import DASH, display_text

# Evidence kinds that are not records of the schema (check.py adds them).
EXTRA_KINDS = {"unit": "单位情况", "finding": "相关问题", "item": "检查项", "run": "检查记录"}
EXTRA_FIELDS = {"parent": "所属", "score": "相似度", "values": "数值", "rule": "规则", "item": "对象",
                "title": "问题", "fingerprint": "问题编号"}
KEY_FIELDS = ("id", "name", "title", "post")   # record fields that are the item key (records.md "Item keys")
DETAIL_TEXT_LIMIT = 120
GROUPING_FROM = 10_000       # amounts such as 56,000,000 元 get thousands separators      # long free text (minutes) is cut in notices; findings.json keeps the evidence text


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence item laid out for a report: kind, key and the remaining fields as (label, text) pairs."""

    kind: str
    key: str
    details: tuple[tuple[str, str], ...]

    @property
    def details_text(self) -> str:
        """The remaining fields as "字段：值；字段：值"."""
        return "；".join(f"{name}：{value}" for name, value in self.details)


@functools.lru_cache(maxsize=1)
def _schema_labels() -> tuple[dict[str, str], dict[str, dict[str, str]], dict[str, str]]:
    """(kind → label, kind → {field → label}, dotted unit path → label) walked from checker.inputs.schema."""
    kinds: dict[str, str] = {}
    fields: dict[str, dict[str, str]] = {}
    for _, record in S.walk_lists():
        kinds.setdefault(record.name, record.label)
        fields.setdefault(record.name, {f.name: f.label for f in record.fields if f.label})
    paths: dict[str, str] = {}

    def walk(record: S.Record, prefix: str, label_prefix: str) -> None:
        for f in record.fields:
            label = f"{label_prefix}{f.label or f.name}"
            paths[prefix + f.name] = label
            if isinstance(f.type, S.Record):
                walk(f.type, f"{prefix}{f.name}.", label + "·")

    walk(S.UNIT, "", "")
    return kinds, fields, paths


def kind_label(kind: Any) -> str:
    """The Chinese name of an evidence kind: meeting → 会议, meeting_decision → 会议决议, unit → 单位情况."""
    kinds, _, _ = _schema_labels()
    text = display_text(kind)
    return kinds.get(text) or EXTRA_KINDS.get(text) or text


def field_label(kind: Any, name: str) -> str:
    """The Chinese label of a field of an evidence item (`item_kind` for a record field called `kind`)."""
    _, fields, paths = _schema_labels()
    labels = fields.get(display_text(kind), {})
    bare = name[len("item_"):] if name.startswith("item_") and name[len("item_"):] in ("kind", "key", "parent") else name
    if labels.get(bare):
        return labels[bare]
    if display_text(kind) == "unit" and name in paths:
        return paths[name]
    return EXTRA_FIELDS.get(name) or name


def value_text(value: Any, limit: int | None = DETAIL_TEXT_LIMIT) -> str:
    """A value as text: booleans 是/否, None —, floats without noise, lists joined with 、, long text cut."""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return DASH
    if isinstance(value, Mapping):
        return json.dumps(dict(value), ensure_ascii=False, default=str)
    if isinstance(value, (int, float)) and abs(value) >= GROUPING_FROM:
        return f"{value:,}" if isinstance(value, int) else f"{float(display_text(value)):,}".rstrip("0").rstrip(".")
    text = display_text(value)
    if limit is not None and len(text) > limit:
        return text[:limit] + "…"
    return text


def _values_details(values: Any) -> tuple[tuple[str, str], ...]:
    """The indicator values of a unit-level finding, each under its schema label when it is a record path."""
    if not isinstance(values, Mapping):
        return ((EXTRA_FIELDS["values"], value_text(values)),)
    return tuple((field_label("unit", str(k)), value_text(v)) for k, v in values.items())


def evidence_row(evidence: Mapping[str, Any]) -> EvidenceRow:
    """One evidence mapping as an EvidenceRow with Chinese labels."""
    kind = evidence.get("kind")
    key = display_text(evidence.get("key"))
    if kind == "finding":
        return _finding_row(evidence, key)
    details: list[tuple[str, str]] = []
    for name, value in evidence.items():
        if name in ("kind", "key"):
            continue
        if name in KEY_FIELDS and display_text(value) == key:
            continue    # the item's own id/name repeats the 标识 column
        if name == "values":
            details.extend(_values_details(value))
        else:
            details.append((field_label(kind, str(name)), value_text(value)))
    return EvidenceRow(kind=kind_label(kind), key=key, details=tuple(details))


def _finding_row(evidence: Mapping[str, Any], key: str) -> EvidenceRow:
    """A finding a composite rests on: its rule and title, and the item (the fingerprint is shown with the finding)."""
    rule = display_text(evidence.get("rule"))
    title = evidence.get("title")
    details = [(EXTRA_FIELDS["title"], f"{rule} {display_text(title)}" if title else rule)]
    if evidence.get("item") is not None and f"{rule}:{evidence.get('item')}" != key:
        details.append((EXTRA_FIELDS["item"], value_text(evidence.get("item"))))
    return EvidenceRow(kind=kind_label("finding"), key=key, details=tuple(details))
