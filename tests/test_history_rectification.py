"""Rectification status of a finding found again: 超期, 虚假销号, reopening after a confirmed closure."""
from __future__ import annotations

import datetime as dt

from checker.history.diff import RunRef
from checker.history.rectification import ItemState, days_left, is_open, judge, status_label

AS_OF = dt.date(2026, 3, 20)
ISSUED = dt.date(2026, 1, 15)
R1 = RunRef(1, "r1", ISSUED)
R2 = RunRef(2, "r2", dt.date(2026, 3, 1))


def item(status: str, deadline: dt.date = dt.date(2026, 2, 14), closed_on: dt.date | None = None,
         **kw: object) -> ItemState:
    return ItemState("fp", "GD-07", status, deadline, ISSUED, closed_on, **kw)  # type: ignore[arg-type]


def test_new_finding_is_not_started_with_its_own_deadline() -> None:
    j = judge("fp", dt.date(2026, 4, 19), None, AS_OF, [], {})
    assert j.entry["status"] == "未启动" and j.entry["label"] == "未启动"
    assert j.entry["deadline"] == "2026-04-19" and j.entry["days_left"] == 30
    assert (j.entry["overdue"], j.entry["false_closure"], j.reopen) == (False, False, False)
    assert j.deadline == dt.date(2026, 4, 19)


def test_open_item_keeps_its_original_deadline_and_is_overdue_after_it() -> None:
    j = judge("fp", dt.date(2026, 4, 19), item("整改中", progress="已完成一半"), AS_OF, [R1], {1: {"fp"}})
    assert j.deadline == dt.date(2026, 2, 14)
    assert j.entry["overdue"] is True and j.entry["label"] == "超期" and j.entry["status"] == "整改中"
    assert j.entry["days_left"] == -34 and j.entry["progress"] == "已完成一半"


def test_deadline_day_itself_is_not_overdue() -> None:
    j = judge("fp", AS_OF, item("申请销号", deadline=AS_OF), AS_OF, [R1], {1: {"fp"}})
    assert j.entry["overdue"] is False and j.entry["days_left"] == 0 and j.entry["label"] == "申请销号"


def test_long_term_is_never_overdue() -> None:
    j = judge("fp", AS_OF, item("长期坚持"), AS_OF, [R1], {1: {"fp"}})
    assert (j.entry["overdue"], j.entry["label"]) == (False, "长期坚持")


def test_closed_but_still_found_is_a_false_closure() -> None:
    closed = item("已销号", closed_on=dt.date(2026, 2, 10), evidence="纪要.pdf")
    j = judge("fp", dt.date(2026, 4, 19), closed, AS_OF, [R1], {1: {"fp"}})
    assert j.entry["false_closure"] is True and j.entry["label"] == "虚假销号"
    assert j.entry["overdue"] is True and j.reopen is False
    assert j.entry["closed_on"] == "2026-02-10" and j.entry["evidence"] == "纪要.pdf"


def test_closure_after_the_run_date_is_not_judged_false() -> None:
    closed = item("已销号", closed_on=dt.date(2026, 3, 25))
    j = judge("fp", dt.date(2026, 4, 19), closed, AS_OF, [R1], {1: {"fp"}})
    assert j.entry["false_closure"] is False and j.entry["label"] == "已销号"


def test_closure_confirmed_by_a_later_run_reopens_on_recurrence() -> None:
    closed = item("已销号", closed_on=dt.date(2026, 2, 10), evidence="纪要.pdf")
    j = judge("fp", dt.date(2026, 4, 19), closed, AS_OF, [R1, R2], {1: {"fp"}, 2: set()})
    assert j.reopen is True
    assert j.entry["status"] == "未启动" and j.entry["reopened"] is True and j.entry["false_closure"] is False
    assert j.entry["deadline"] == "2026-04-19" and j.entry["issued_on"] == AS_OF.isoformat()
    assert j.entry["evidence"] is None            # the old closure's report does not belong to the new round


def test_helpers() -> None:
    assert is_open("整改中") and is_open("超期") and is_open("申请销号") and not is_open("已销号")
    assert days_left(dt.date(2026, 3, 1), dt.date(2026, 3, 11)) == -10
    assert status_label("整改中", True, True) == "虚假销号"
    assert status_label("整改中", True, False) == "超期"
    assert status_label("整改中", False, False) == "整改中"
