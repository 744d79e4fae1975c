"""The fast path of validation: a valid unit, read without positions, normalised in one quick pass.

`normalised(data)` returns exactly what `records.validate_unit` returns for a valid unit, or None as
soon as anything is not plainly valid; the caller then runs the full validator (with positions),
which finds and words every problem. So this module never reports anything: it only has to be
right about "valid", and may send a doubtful valid value (a whole number in a text field, which
keeps the digits as written) to the full validator too.

The checks are compiled once from `checker.inputs.schema`; the semantic checks (period order,
present ≤ expected, references to meetings) are the full validator's own functions, run on the
normalised copy, so there is one definition of each rule.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Callable

from checker.inputs import records
from checker.inputs.schema import UNIT, FieldType, ListOf, Record, Scalar


class _Doubt(Exception):
    """Not plainly valid: leave the unit to the full validator."""


_DOUBT = _Doubt()
_MISSING = object()
Check = Callable[[Any], Any]


def normalised(data: Any) -> dict | None:
    """The normalised unit if `data` is a valid unit record, else None (validate it fully to learn why)."""
    try:
        out = _UNIT_CHECK(data)
    except _Doubt:
        return None
    except (TypeError, ValueError, OverflowError, RecursionError):
        return None
    witness = records.problem_witness()
    witness.unit_references(out, data)
    return None if witness.problems else out


def _scalar(t: Scalar) -> Check:
    if t.kind == "string":
        enum = frozenset(t.enum) if t.enum is not None else None
        longest = t.max_length

        def text(value: Any) -> str:
            if type(value) is not str or (enum is not None and value not in enum) \
                    or (longest is not None and len(value) > longest):
                raise _DOUBT
            return value
        return text
    if t.kind in ("integer", "number"):
        low, high, whole = t.minimum, t.maximum, t.kind == "integer"

        def number(value: Any) -> Any:
            kind = type(value)
            if kind is float:
                if not math.isfinite(value):
                    raise _DOUBT
                if whole:
                    if not value.is_integer():
                        raise _DOUBT
                    value = int(value)
            elif kind is not int:
                raise _DOUBT
            if (low is not None and value < low) or (high is not None and value > high):
                raise _DOUBT
            return value
        return number
    if t.kind == "boolean":
        def boolean(value: Any) -> bool:
            if type(value) is not bool:
                raise _DOUBT
            return value
        return boolean
    if t.kind == "date":
        iso = records.ISO_DATE.fullmatch

        def date(value: Any) -> dt.date:
            kind = type(value)
            if kind is str and iso(value):
                return dt.date.fromisoformat(value)        # ValueError (no such day) → full validation
            if kind is dt.date:
                return value
            raise _DOUBT
        return date
    raise AssertionError(f"unknown scalar kind {t.kind}")


def _list(t: ListOf) -> Check:
    item = _compile(t.item)
    keys = records.key_fields(t.item) if isinstance(t.item, Record) else ()

    def elements(value: Any) -> list:
        if not isinstance(value, list):
            raise _DOUBT
        out = []
        for element in value:
            if element is None or (type(element) is str and not element.strip()):
                raise _DOUBT
            out.append(item(element))
        if keys:
            seen = set()
            for element in out:
                key = tuple(element[k] for k in keys)
                if None in key:
                    continue
                if key in seen:
                    raise _DOUBT
                seen.add(key)
        return out
    return elements


def _record(rec: Record) -> Check:
    fields = []
    for f in rec.fields:
        blank_is_absent = isinstance(f.type, Scalar)
        fields.append((f.name, _compile(f.type), f.required, f.type, blank_is_absent))
    names = frozenset(f.name for f in rec.fields)
    semantic = records.semantic_check(rec.name)

    def record(data: Any) -> dict:
        if not isinstance(data, dict) or not names.issuperset(data):
            raise _DOUBT
        out = {}
        for name, check, required, ftype, blank_is_absent in fields:
            value = data.get(name, _MISSING)
            if value is _MISSING or value is None or (blank_is_absent and type(value) is str and not value.strip()):
                if required:
                    raise _DOUBT
                out[name] = records.skeleton(ftype)
                continue
            out[name] = check(value)
        if semantic is not None:
            witness = records.problem_witness()
            semantic(witness, out, data, "", None)
            if witness.problems:
                raise _DOUBT
        return out
    return record


def _compile(t: FieldType) -> Check:
    if isinstance(t, Scalar):
        return _scalar(t)
    if isinstance(t, Record):
        return _record(t)
    return _list(t)


_UNIT_CHECK = _compile(UNIT)
