"""The history commands of the CLI: `history`, `diff`, `status`, `ledger import`.

`build_commands` is called by `checker/cli/main.py` with its error handler and consoles, so these
commands behave like every other one (Chinese messages, exit codes, no traceback for bad input).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Callable

import click
from rich.console import Console
from rich.table import Table

from checker.cli.options import parse_date
from checker.history.database import DEFAULT_DB, ENV_VAR

DB_HELP = f"运行历史数据库：SQLite 文件路径或 postgresql+psycopg://… 地址（默认 {DEFAULT_DB}，或环境变量 {ENV_VAR}）"


def db_option(func: Callable) -> Callable:
    """`--db PATH|URL` (envvar PBCHECK_DB, default pbcheck.db in the working directory)."""
    return click.option("--db", "db", metavar="PATH|URL", envvar=ENV_VAR, default=DEFAULT_DB, show_default=True,
                        help=DB_HELP)(func)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _run_title(summary: Any) -> str:
    return f"#{summary.ref.id} {summary.ref.uid}（检查日期 {summary.ref.as_of.isoformat()}）"


def _finding_line(brief: Any) -> str:
    item = f" [{brief.item}]" if brief.item else ""
    return f"{brief.rule} {brief.title}{item}（{brief.severity}）"


def _unit_indices(conn: Any, unit: str | None) -> dict[int, dict[str, Any]]:
    """Run 编号 → the unit's stored 融合度指数 (only with --unit)."""
    if not unit:
        return {}
    from checker.history.index_history import unit_index_history
    return {entry.ref.id: entry.index for entry in unit_index_history(conn, unit) if entry.index}


def _index_trend(runs: list, indices: dict[int, dict[str, Any]]) -> dict[int, tuple[str, str, str]]:
    """Per run (newest first as listed): the index, its grade and the change since the unit's run before it."""
    from checker.outputs.index_view import change, not_applicable
    out: dict[int, tuple[str, str, str]] = {}
    before: float | None = None
    for r in reversed(runs):                       # oldest first, so that each run sees the one before
        idx = indices.get(r.ref.id)
        if idx is None:
            out[r.ref.id] = ("—", "—", "")
            continue
        moved = change(idx.get("overall"), before)
        out[r.ref.id] = (not_applicable(idx.get("overall")), idx.get("grade") or "—", moved.text if moved else "")
        before = idx.get("overall") if idx.get("overall") is not None else before
    return out


def build_commands(handle_errors: Callable, context: dict, console: Console, err_console: Console) -> list[click.Command]:
    """The history commands, wired to the CLI's error handling and consoles."""

    @click.command("history", context_settings=context)
    @db_option
    @click.option("--unit", metavar="U", help="只列出检查过该单位的运行")
    @click.option("--limit", type=click.IntRange(min=1), metavar="N", help="只列出最近 N 次")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
    @handle_errors
    def history_cmd(db: str, unit: str | None, limit: int | None, as_json: bool) -> int:
        """列出运行历史：每次检查的日期、规则包、单位数、问题数，以及与上次相比新增/持续/已解决的数量。"""
        from checker.history import store
        from checker.history.database import open_database
        database = open_database(db, create=False)
        try:
            with database.transaction() as conn:
                runs = store.list_runs(conn, unit, limit)
                indices = _unit_indices(conn, unit)
        finally:
            database.dispose()
        if as_json:
            _echo_json([{**r.to_json(), **({"index": indices.get(r.ref.id)} if unit else {})} for r in runs])
            return 0
        if not runs:
            console.print(f"运行历史（{database.shown}）中还没有运行记录。")
            return 0
        packs = sorted({r.pack_id for r in runs})
        table = Table(title=f"运行历史（{database.shown}）", caption=f"规则包：{'、'.join(packs)}" if len(packs) == 1 else None)
        columns = ["编号", "运行 ID", "检查日期", "规则包" if len(packs) > 1 else "版本", "单位", "问题", "新增", "持续", "已解决"]
        if unit:
            columns += ["融合度指数", "等级", "较上次"]
            trend = _index_trend(runs, indices)
        for column in columns:
            table.add_column(column, no_wrap=column in ("编号", "运行 ID", "检查日期", "融合度指数", "等级", "较上次"),
                             overflow="fold")
        for r in runs:
            d = r.diff_totals
            units = f"{r.units_checked}" + (f"（无效 {r.units_failed_validation}）" if r.units_failed_validation else "")
            table.add_row(str(r.ref.id), r.ref.uid, r.ref.as_of.isoformat(),
                          f"{r.pack_id} {r.pack_version}" if len(packs) > 1 else r.pack_version, units,
                          f"{r.findings_open}/{r.findings_total}",
                          str(d.get("new", "")), str(d.get("persisting", "")), str(d.get("resolved", "")),
                          *(trend[r.ref.id] if unit else ()))
        console.print(table)
        if unit:
            console.print(f"融合度指数：单位 {unit} 在各次运行中的指数（0–100）；“较上次”与该单位上一次有指数的运行相比。",
                          markup=False, soft_wrap=True)
        console.print("问题：未豁免/全部。对比单个运行：pbcheck diff 编号；两次运行之间：pbcheck diff 编号A 编号B。")
        return 0

    @click.command("diff", context_settings=context)
    @click.argument("run_a", required=False, metavar="[RUN_A]")
    @click.argument("run_b", required=False, metavar="[RUN_B]")
    @db_option
    @click.option("--unit", metavar="U", help="只显示该单位")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
    @handle_errors
    def diff_cmd(run_a: str | None, run_b: str | None, db: str, unit: str | None, as_json: bool) -> int:
        """对比两次运行（编号或运行 ID）：各单位新增、持续、已解决的问题。

        \b
        pbcheck diff              最近一次运行与各单位上一次运行对比
        pbcheck diff 5            运行 5 与各单位上一次运行对比
        pbcheck diff 3 5          从运行 3 到运行 5 的变化
        """
        from checker.history import store
        from checker.history.compare import compare_runs, compare_with_previous
        from checker.history.database import open_database
        database = open_database(db, create=False)
        try:
            with database.transaction() as conn:
                if run_b is None:
                    comparison = compare_with_previous(conn, store.find_run(conn, run_a), unit)
                else:
                    comparison = compare_runs(conn, store.find_run(conn, run_a), store.find_run(conn, run_b), unit)
        finally:
            database.dispose()
        if as_json:
            _echo_json(comparison.to_json())
            return 0
        _print_comparison(console, comparison)
        return 0

    @click.command("status", context_settings=context)
    @db_option
    @click.option("--unit", metavar="U", help="只显示该单位")
    @click.option("--overdue", is_flag=True, help="只显示超期的整改事项")
    @click.option("--as-of", "as_of", callback=parse_date, metavar="DATE", help="计算剩余/超期天数的日期（默认今天）")
    @click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
    @handle_errors
    def status_cmd(db: str, unit: str | None, overdue: bool, as_of: dt.date | None, as_json: bool) -> int:
        """列出未完成整改的事项（含虚假销号）：整改时限、剩余或超期天数、最近一次检查是否仍发现。"""
        from checker.history.database import open_database
        from checker.history.status import open_items
        day = as_of or dt.date.today()
        database = open_database(db, create=False)
        try:
            with database.transaction() as conn:
                items = open_items(conn, day, unit, overdue)
        finally:
            database.dispose()
        if as_json:
            _echo_json([i.to_json() for i in items])
            return 0
        what = "超期的整改事项" if overdue else "未完成整改的事项"
        if not items:
            console.print(f"截至 {day.isoformat()}，没有{what}" + (f"（单位 {unit}）" if unit else "") + "。")
            return 0
        table = Table(title=f"{what}（截至 {day.isoformat()}）")
        for column in ("单位", "问题", "状态", "整改时限", "剩余/超期", "最近检查", "问题编号"):
            table.add_column(column, no_wrap=column in ("整改时限", "问题编号"), overflow="fold")
        for i in items:
            left = f"超期 {-i.days_left} 天" if i.days_left < 0 else ("今天到期" if i.days_left == 0 else f"剩余 {i.days_left} 天")
            style = "bold red" if i.overdue or i.false_closure else None
            item = f" [{i.item}]" if i.item else ""
            table.add_row(i.unit, f"{i.rule} {i.title}{item}", i.label, i.deadline.isoformat(), left,
                          i.latest_check or "—", i.fingerprint, style=style)
        console.print(table)
        n_over = sum(1 for i in items if i.overdue)
        n_false = sum(1 for i in items if i.false_closure)
        console.print(f"共 {len(items)} 项，其中超期 {n_over} 项，虚假销号 {n_false} 项。")
        return 0

    @click.group("ledger", context_settings=context)
    def ledger_group() -> None:
        """整改台账：导入各单位填报后交回的台账。"""

    @ledger_group.command("import", context_settings=context)
    @click.argument("files", nargs=-1, required=True, metavar="FILE.xlsx…")
    @db_option
    @click.option("--as-of", "as_of", callback=parse_date, metavar="DATE", help="导入日期（销号日期不得晚于它；默认今天）")
    @handle_errors
    def ledger_import_cmd(files: tuple[str, ...], db: str, as_of: dt.date | None) -> int:
        """导入单位填报的整改台账（汇总台账或各单位台账均可），按问题编号对应，校验后记录整改状态。"""
        from checker.history.database import open_database
        from checker.history.ledger_import import import_ledgers
        database = open_database(db, create=False)
        try:
            report = import_ledgers(database, files, as_of or dt.date.today())
        finally:
            database.dispose()
        for notice in report.notices:
            err_console.print(f"[yellow]提示：[/]{notice}", soft_wrap=True)
        statuses = "，".join(f"{s} {n}" for s, n in sorted(report.by_status.items()))
        console.print(f"已导入 {len(report.files)} 个文件，共 {report.rows} 行：{report.changed} 项有更新"
                      + (f"（{statuses}）" if statuses else "") + f"，{report.unchanged} 项无变化。")
        return 0

    return [history_cmd, diff_cmd, status_cmd, ledger_group]


def _print_comparison(console: Console, comparison: Any) -> None:
    t = comparison.totals()
    if comparison.base is not None:
        console.print(f"运行 {_run_title(comparison.run)} 对比 运行 {_run_title(comparison.base)}")
    else:
        console.print(f"运行 {_run_title(comparison.run)} 与各单位上一次运行对比")
    console.print(f"合计：新增 {t['new']}，持续 {t['persisting']}，已解决 {t['resolved']}"
                  f"（对比 {t['units_compared']} 个单位，首次检查 {t['units_first_check']} 个）")
    for d in comparison.units:
        if d.previous is None:
            head = f"{d.unit} {d.name}：首次检查，{len(d.new)} 个问题"
        else:
            head = (f"{d.unit} {d.name}：新增 {len(d.new)}，持续 {len(d.persisting)}，已解决 {len(d.resolved)}"
                    f"（上次 #{d.previous.id}，{d.previous.as_of.isoformat()}）")
        console.print(head, markup=False, soft_wrap=True)
        for fp in d.new:
            console.print(f"  新增    {_finding_line(comparison.briefs[fp])}  {fp}", markup=False, soft_wrap=True)
        for brief in d.resolved:
            console.print(f"  已解决  {_finding_line(brief)}  {brief.fingerprint}", markup=False, soft_wrap=True)
        for fp in d.persisting:
            console.print(f"  持续    {_finding_line(comparison.briefs[fp])}  {fp}", markup=False, soft_wrap=True)
    for u in comparison.only_in_base:
        console.print(f"{u}：只在运行 #{comparison.base.ref.id} 中检查过，未对比", markup=False)


def report_history(console: Console, extras: dict) -> None:
    """After a run: where its history went and what changed since each unit's previous run."""
    diff = extras.get("diff") if extras else None
    if not diff:
        return
    t = diff["totals"]
    rect = extras.get("rectification") or {}
    overdue = sum(1 for e in rect.values() if e.get("overdue"))
    false_closure = sum(1 for e in rect.values() if e.get("false_closure"))
    console.print(f"运行历史：{diff['db']}（运行 ID {diff['run']}）", markup=False, soft_wrap=True)
    if t["units_compared"]:
        line = (f"与上次检查相比：新增 {t['new']}，持续 {t['persisting']}，已解决 {t['resolved']}"
                f"（{t['units_compared']} 个单位有上次记录）")
        if overdue or false_closure:
            line += f"；整改超期 {overdue} 项，虚假销号 {false_closure} 项"
        console.print(line + "。", markup=False, soft_wrap=True)
    else:
        console.print("各单位均为首次检查，下次检查时将显示新增/持续/已解决。", markup=False)
