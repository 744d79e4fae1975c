"""The spreadsheet layout of records.md, derived from `checker.inputs.schema`.

One sheet `units` (one row per unit: its scalar fields, nested records flattened to dotted headers
such as `period.start`), and one sheet per list of records (`meetings`, `meeting_decisions`, …).
Every row of a list sheet carries `unit_id`; rows of a nested list also carry their parent's key
(`meeting_id`, `plan_title`, `zone_id`). A list of scalars (`topics`, `evidence`, …) is one cell
whose values are separated by `;` or `、`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from openpyxl.utils import get_column_letter

from checker.inputs.records import key_fields
from checker.inputs.schema import UNIT, ListOf, Record, Scalar

UNITS_SHEET = "units"
GUIDE_SHEET = "说明"
PROBLEMS_SHEET = "问题清单"            # added by --annotate; an annotated copy can be fixed and read again
NOT_DATA_SHEETS = (GUIDE_SHEET, PROBLEMS_SHEET)
UNIT_LINK = "unit_id"


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, the field path it fills and the type of its values."""

    name: str                      # the header: a field name, dotted under `units`, or a link column
    path: tuple[str, ...]          # field names from the sheet's record down to the scalar; () for link columns
    scalar: Scalar                 # the type of one value (of each value, for a multi-value cell)
    multi: bool                    # a list of scalars in one cell
    required: bool
    label: str                     # Chinese name shown under the header
    help: str
    link: str | None = None        # "unit" (unit_id of a list sheet) or "parent" (meeting_id, …)

    @property
    def label_text(self) -> str:
        """The text of the label row: the Chinese label, marked when the column is required."""
        return f"{self.label}（必填）" if self.required else self.label


@dataclass(frozen=True)
class Sheet:
    """One sheet: the record each row holds and where the rows go in a unit."""

    name: str
    record: Record
    label: str
    columns: tuple[Column, ...]
    list_path: str | None = None           # "meetings", "meetings.decisions"; None for `units`
    list_field: str | None = None          # the list's field name in the parent record ("decisions")
    parent: "Sheet | None" = None          # the sheet of the parent record (nested lists)
    parent_key: str | None = None          # the parent's key field ("id", "title")

    def column(self, name: str) -> Column | None:
        """The column with header `name`, or None."""
        for column in self.columns:
            if column.name == name:
                return column
        return None

    @property
    def parent_link(self) -> Column | None:
        """The column naming the parent row (`meeting_id`, …), for nested lists."""
        for column in self.columns:
            if column.link == "parent":
                return column
        return None


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 1-based column index (1 → A, 27 → AA)."""
    return get_column_letter(index)


def _flatten(record: Record, prefix: tuple[str, ...], required: bool, outer_label: str) -> Iterator[Column]:
    """The value columns of `record`: scalars, multi-value cells, nested records as dotted headers."""
    for f in record.fields:
        path = prefix + (f.name,)
        needed = required and f.required
        label = f"{outer_label}{f.label}" if outer_label and not f.label.startswith(outer_label) else f.label
        t = f.type
        if isinstance(t, Scalar):
            yield Column(".".join(path), path, t, False, needed, label, f.help)
        elif isinstance(t, ListOf) and isinstance(t.item, Scalar):
            yield Column(".".join(path), path, t.item, True, needed, label, f.help)
        elif isinstance(t, Record):
            yield from _flatten(t, path, needed, f.label + "·")


def _list_sheets(record: Record, prefix: str, parent: Sheet | None) -> Iterator[Sheet]:
    for f in record.fields:
        t = f.type
        if not (isinstance(t, ListOf) and isinstance(t.item, Record)):
            continue
        item = t.item
        name = f.name if parent is None else f"{parent.record.name}_{f.name}"
        links = [Column(UNIT_LINK, (), UNIT.field("unit_id").type, False, True, "单位编号",
                        "本行所属单位的编号，须与 units 表中的 unit_id 一致", "unit")]
        parent_key = None
        if parent is not None:
            keys = key_fields(parent.record)
            assert len(keys) == 1, f"nested list under {parent.name} needs a single-field parent key"
            parent_key = keys[0]
            key_field = parent.record.field(parent_key)
            links.append(Column(f"{parent.record.name}_{parent_key}", (), key_field.type, False, True,
                                f"所属{key_field.label}",
                                f"本行所属{parent.record.label}的{key_field.label}，须与本单位 {parent.name} 表中的"
                                f" {parent_key} 一致", "parent"))
        sheet = Sheet(name, item, f.label, tuple(links) + tuple(_flatten(item, (), True, "")),
                      f"{prefix}{f.name}", f.name, parent, parent_key)
        yield sheet
        yield from _list_sheets(item, f"{prefix}{f.name}.", sheet)


def _build() -> tuple[Sheet, ...]:
    units = Sheet(UNITS_SHEET, UNIT, UNIT.label, tuple(_flatten(UNIT, (), True, "")))
    sheets = (units,) + tuple(_list_sheets(UNIT, "", None))
    names = [s.name for s in sheets]
    assert len(names) == len(set(names)) and not set(NOT_DATA_SHEETS) & set(names), names
    for sheet in sheets:
        headers = [c.name for c in sheet.columns]
        assert len(headers) == len(set(headers)), (sheet.name, headers)
        assert len(sheet.name) <= 31, sheet.name          # Excel's limit on sheet names
    return sheets


SHEETS: tuple[Sheet, ...] = _build()
SHEET_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}


def sheet(name: str) -> Sheet:
    """The sheet called `name` (KeyError for an unknown name)."""
    return SHEET_BY_NAME[name]
