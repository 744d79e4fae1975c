"""The `pbcheck` command line (Click + Rich). Messages to users are Chinese; no traceback for input errors."""
from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console
from rich.table import Table

from checker import __version__
from checker.cli.options import parse_date
from checker.errors import EXIT_INTERNAL, EXIT_INPUT, PbcheckError

console = Console(highlight=False, emoji=False)
err_console = Console(stderr=True, highlight=False, emoji=False)


def _print_error(exc: PbcheckError) -> None:
    lines = exc.lines()
    err_console.print(f"[bold red]错误：[/]{lines[0]}", markup=True, soft_wrap=True)
    for line in lines[1:]:
        err_console.print(line, markup=False, soft_wrap=True)


def handle_errors(func: Callable[..., int | None]) -> Callable[..., None]:
    """Turn pbcheck errors into messages and exit codes; internal errors show a traceback only on request."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = func(*args, **kwargs)
        except PbcheckError as exc:
            _print_error(exc)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err_console.print("已中断，未完成的输出文件没有写入。")
            sys.exit(130)
        except Exception as exc:  # a bug in pbcheck, not the user's input
            err_console.print(f"[bold red]内部错误：[/]{type(exc).__name__}: {exc}", soft_wrap=True)
            if os.environ.get("PBCHECK_DEBUG"):
                err_console.print(traceback.format_exc(), markup=False)
            else:
                err_console.print("这是 pbcheck 的缺陷，不是输入的问题。设置环境变量 PBCHECK_DEBUG=1 可显示详细信息，请报告给维护者。")
            sys.exit(EXIT_INTERNAL)
        sys.exit(code or 0)
    return wrapper


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="pbcheck", message="%(prog)s %(version)s")
def cli() -> None:
    """pbcheck：国有企业基层党建与生产经营融合检查工具（rules-based compliance checker）。

    \b
    常用命令：
      pbcheck demo                      用内置示例跑一遍，生成全部输出
      pbcheck template                  写出空白的填报工作簿 records.xlsx
      pbcheck check-records 记录…        只校验记录（加 --annotate 另存标出问题的表格副本）
      pbcheck run 记录文件或目录…        检查单位记录，生成 findings.json、整改通知书等
      pbcheck validate 规则包目录…       检查规则包（语法、表达式、字段名、模板）
      pbcheck test 规则包目录…           运行规则包自带的测试用例
    """


def _run_options(func: Callable) -> Callable:
    options = [
        click.option("--pack", "pack", metavar="P", help="规则包目录或内置规则包 id（默认：party-business-integration）"),
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("pbcheck-out"),
                     show_default=True, help="输出目录"),
        click.option("--format", "formats", multiple=True, metavar="F",
                     help="输出格式，可重复：html md docx pdf summary xlsx csv sarif junit index（默认 html md summary xlsx）"),
        click.option("--param", "params", multiple=True, metavar="k=v", help="覆盖规则包参数，如 --param min_attendance=0.9"),
        click.option("--as-of", "as_of", callback=parse_date, metavar="DATE", help="整改时限的起算日期（默认今天）"),
        click.option("--issuer", help="发文机关（整改通知书版头）"),
        click.option("--doc-no", "doc_no", metavar="PATTERN", help="文号模板，{n} 按单位顺序编号，如 “党建审〔2026〕{n}号”"),
        click.option("--fail-on", "fail_on", type=click.Choice(["高", "中", "低", "never"]), default="高", show_default=True,
                     help="存在该等级及以上的问题时退出码为 1"),
        click.option("--keep-going", is_flag=True, help="有无效记录时仍检查其余单位并写出全部输出（退出码仍为 2）"),
        click.option("--annotate", is_flag=True,
                     help="XLSX/CSV 记录有问题时，在输出目录的 annotated/ 下另存一份标出问题单元格的副本"),
        click.option("--templates", type=click.Path(file_okay=False, path_type=Path), help="自定义报告模板目录（优先于内置模板）"),
        click.option("--waivers", "waivers", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="豁免清单（YAML/JSON）：经批准的豁免事项，含理由、批准人和有效期"),
        click.option("--manual", "manual", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="人工检查问题（YAML/JSON）：检查组现场发现的问题，与规则发现的问题一并输出"),
        click.option("--db", "db", metavar="PATH|URL", envvar="PBCHECK_DB", default="pbcheck.db", show_default=True,
                     help="运行历史数据库：SQLite 文件或 postgresql+psycopg://… 地址（也可用环境变量 PBCHECK_DB）"),
        click.option("--no-history", "no_history", is_flag=True, help="不读写运行历史（不对比上次检查，不判定 RC04）"),
        click.option("--jobs", "jobs", type=click.IntRange(min=1), metavar="N",
                     help="并行检查的进程数（默认：CPU 核数；1 表示在本进程内检查）；结果与进程数无关"),
        click.option("-q", "--quiet", "quiet", is_flag=True, help="不显示进度条（非终端时本来就不显示）"),
        click.option("--no-wait", "no_wait", is_flag=True, help="另一个 pbcheck 正在写同一输出目录时立即失败（默认等待）"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _report_run(outcome, out_dir: Path) -> None:
    from checker.pipeline.run import problems_of
    if outcome.invalid:
        problems = problems_of(outcome.invalid)
        err_console.print(f"[bold red]记录有误：[/]{len(outcome.invalid)} 个单位未通过校验，共 {len(problems)} 处问题", soft_wrap=True)
        for p in problems:
            err_console.print(str(p), markup=False, soft_wrap=True)
        _report_annotations(outcome.annotated, outcome.annotation_notes)
        if not outcome.outputs_written:
            err_console.print("未生成检查结果（修正记录后重试，或加 --keep-going 先检查其余单位）。")
            return
        unchecked = "、".join(u.unit_id or f"<{u.source}>" for u in outcome.invalid)
        err_console.print(f"未检查（记录有误）：{unchecked}", markup=False, soft_wrap=True)
    findings = [f for r in outcome.results for f in r.findings]
    open_ = [f for f in findings if f.status == "open"]
    by_sev = {s: sum(1 for f in open_ if f.severity == s) for s in ("高", "中", "低")}
    units_with = sum(1 for r in outcome.results if any(f.status == "open" for f in r.findings))
    console.print(f"已检查 {len(outcome.results)} 个单位，{units_with} 个单位发现问题，共 {len(open_)} 条"
                  f"（高 {by_sev['高']}，中 {by_sev['中']}，低 {by_sev['低']}）。")
    from checker.pipeline.waivers import summary_lines
    for line in summary_lines(getattr(outcome, "waivers", None) or {}, len(findings) - len(open_)):
        console.print(line, markup=False, soft_wrap=True)
    console.print(f"输出目录：{out_dir}")
    shown = sorted({str(p.relative_to(out_dir)).split("/")[0] for p in outcome.written})
    for name in shown:
        console.print(f"  {out_dir / name}")


@cli.command("run", context_settings=CONTEXT)
@click.argument("records", nargs=-1, required=True, metavar="RECORDS…")
@_run_options
@handle_errors
def run_cmd(records: tuple[str, ...], **kwargs: Any) -> int:
    """检查单位记录（XLSX 工作簿、含 units.csv 的目录、YAML/JSON 文件或目录），写出 findings.json 和所选格式的报告。"""
    from checker.pipeline.run import RunOptions, execute
    if kwargs.pop("no_history"):
        kwargs["db"] = None
    from checker.cli.progress import RunProgress
    quiet = kwargs.pop("quiet")
    options = RunOptions(inputs=records, **kwargs)
    with RunProgress(err_console, quiet) as tick:
        outcome = execute(options, progress=tick)
    _report_run(outcome, options.out_dir)
    report_history(console, outcome.extras)
    return outcome.exit_code


@cli.command("demo", context_settings=CONTEXT)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("pbcheck-out"),
              show_default=True, help="输出目录")
@click.option("--as-of", "as_of", callback=parse_date, metavar="DATE", help="整改时限的起算日期（默认今天）")
@click.option("--no-history", "no_history", is_flag=True, help="不记录运行历史（默认记录在输出目录的 pbcheck.db 中）")
@handle_errors
def demo_cmd(out_dir: Path, as_of: dt.date | None, no_history: bool) -> int:
    """用内置示例记录运行默认规则包，写出全部输出并显示位置（发现问题是预期的，退出码为 0）。"""
    from checker.resources import resource_dir
    from checker.outputs.registry import available_formats
    from checker.pipeline.run import RunOptions, execute
    from checker.outputs.fonts import cjk_font_available, missing_font_message
    examples = resource_dir("examples") / "records"
    formats = available_formats()
    if "pdf" in formats and not cjk_font_available():   # a demo should not fail for want of a font
        formats.remove("pdf")
        err_console.print(f"提示：未生成 PDF 整改通知书。{missing_font_message()}", markup=False, soft_wrap=True)
    options = RunOptions(inputs=[str(examples)], out_dir=out_dir, formats=formats, as_of=as_of,
                         issuer="华东能源集团党委巡察办", doc_no="党建审〔2026〕{n}号", fail_on="never",
                         db=None if no_history else _demo_history(out_dir))
    outcome = execute(options)
    _report_run(outcome, out_dir)
    report_history(console, outcome.extras)
    return outcome.exit_code


@cli.command("validate", context_settings=CONTEXT)
@click.argument("packs", nargs=-1, metavar="PACK…")
@handle_errors
def validate_cmd(packs: tuple[str, ...]) -> int:
    """检查规则包：YAML、结构、表达式、字段名、参数、重复编号、模板；每个问题一行 file:line:col: code message。"""
    from checker.engine.compile import compile_pack
    from checker.pack.loader import load_pack
    failed = 0
    for ref in packs or (None,):
        try:
            pack = load_pack(ref)
            compiled = compile_pack(pack)
        except PbcheckError as exc:
            failed += 1
            # in file order, like a compiler: problems are found in phases, but read top to bottom
            ordered = sorted(exc.problems, key=lambda p: (p.location.file, p.location.line or 0, p.location.col or 0)
                             if p.location else ("", 0, 0))
            for p in ordered:
                console.print(str(p), markup=False, soft_wrap=True)
            if not exc.problems:
                console.print(str(exc), markup=False, soft_wrap=True)
            continue
        for warning in pack.warnings:
            console.print(str(warning), markup=False, soft_wrap=True)
        noted = f"（{len(pack.warnings)} 条警告）" if pack.warnings else ""
        console.print(f"{pack.id} {pack.version}：{len(compiled.rules)} 条规则，未发现问题{noted}。", markup=False)
    return EXIT_INPUT if failed else 0


@cli.command("test", context_settings=CONTEXT)
@click.argument("packs", nargs=-1, metavar="PACK…")
@click.option("--rule", "rules", multiple=True, metavar="ID", help="只运行这些规则的用例")
@click.option("-q", "--quiet", is_flag=True, help="只显示失败的用例")
@handle_errors
def test_cmd(packs: tuple[str, ...], rules: tuple[str, ...], quiet: bool) -> int:
    """运行规则包自带的测试用例，逐条显示 PASS/FAIL；失败时显示期望与实际。"""
    from checker.pack.loader import load_pack
    from checker.engine.selftest import PackTester, coverage_problems
    failures = 0
    total = 0
    for ref in packs or (None,):
        pack = load_pack(ref)
        tester = PackTester(pack)
        for result in tester.run(set(rules) or None):
            total += 1
            if result.passed:
                if not quiet:
                    console.print(f"[green]PASS[/] {result.test_id}")
                continue
            failures += 1
            console.print(f"[bold red]FAIL[/] {result.test_id}  ({result.case.location})", soft_wrap=True)
            for line in result.failures:
                console.print(f"     {line}", markup=False, soft_wrap=True)
        for line in coverage_problems(pack):
            failures += 1
            console.print(f"[bold red]FAIL[/] {pack.id}: {line}", soft_wrap=True)
    console.print(f"{total - failures if failures <= total else 0} passed, {failures} failed")
    return 1 if failures else 0


def _report_annotations(paths: list, notes: list) -> None:
    for path in paths:
        err_console.print(f"已另存标出问题的副本：{path}", markup=False, soft_wrap=True)
    for note in notes:
        err_console.print(note, markup=False, soft_wrap=True)


@cli.command("check-records", context_settings=CONTEXT)
@click.argument("records", nargs=-1, required=True, metavar="RECORDS…")
@click.option("--annotate", is_flag=True, help="XLSX/CSV 记录有问题时，另存一份标出问题单元格的副本（写到 --out/annotated/）")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("pbcheck-out"),
              show_default=True, help="--annotate 副本的输出目录")
@handle_errors
def check_records_cmd(records: tuple[str, ...], annotate: bool, out_dir: Path) -> int:
    """只校验单位记录（YAML/JSON、XLSX 工作簿或 CSV 目录，不运行规则），列出全部问题。"""
    from checker.inputs.records import InvalidUnit
    from checker.inputs.loaders import load_units
    valid = 0
    problems = []
    invalid = []
    for unit in load_units(records):
        if isinstance(unit, InvalidUnit):
            invalid.append(unit)
            problems.extend(unit.problems)
        else:
            valid += 1
    for p in problems:
        err_console.print(str(p), markup=False, soft_wrap=True)
    if problems:
        err_console.print(f"[bold red]{len(problems)} 处问题[/]；{valid} 个单位有效。")
        if annotate:
            from checker.inputs.spreadsheet.annotate import write_annotations
            _report_annotations(*write_annotations(invalid, out_dir / "annotated"))
        return EXIT_INPUT
    console.print(f"{valid} 个单位记录全部有效。")
    return 0


@cli.command("template", context_settings=CONTEXT)
@click.option("--out", "target", type=click.Path(path_type=Path), default=Path("records.xlsx"), show_default=True,
              help="以 .xlsx 结尾写出工作簿；否则视为目录，写出一组 CSV 文件（units.csv、meetings.csv…）")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@handle_errors
def template_cmd(target: Path, force: bool) -> int:
    """写出空白的单位记录填报模板（工作表、字段说明、下拉列表、填写说明）。"""
    from checker.inputs.spreadsheet.template import write_template
    for path in write_template(target, force):
        console.print(f"已写出：{path}", markup=False)
    return 0


@cli.command("export", context_settings=CONTEXT)
@click.argument("records", nargs=-1, required=True, metavar="RECORDS…")
@click.option("--to", "target", type=click.Path(path_type=Path), required=True,
              help="目标：以 .xlsx 结尾为工作簿，否则为存放 CSV 文件的目录")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@handle_errors
def export_cmd(records: tuple[str, ...], target: Path, force: bool) -> int:
    """把单位记录（YAML/JSON/XLSX/CSV）转换为填报工作簿或 CSV 文件，可再用 pbcheck run 读回。"""
    from checker.inputs.spreadsheet.export import export_records
    written, count = export_records(records, target, force)
    console.print(f"已导出 {count} 个单位：{target}", markup=False)
    if len(written) > 1:
        console.print(f"  {len(written)} 个 CSV 文件", markup=False)
    return 0


@cli.command("schema", context_settings=CONTEXT)
@click.option("--format", "fmt", type=click.Choice(["json", "md"]), default="json", show_default=True,
              help="json：JSON Schema；md：中英文字段参考（docs/records.md）")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="写入的文件（默认输出到终端）")
@handle_errors
def schema_cmd(fmt: str, out: Path | None) -> int:
    """输出单位记录的 JSON Schema 或字段参考（由校验所用的同一份定义生成）。"""
    if fmt == "md":
        from checker.inputs.fielddocs import records_markdown
        text = records_markdown()
    else:
        from checker.inputs.jsonschema_export import records_json_schema
        text = json.dumps(records_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return 0
    from checker.atomic import write_atomic
    write_atomic(out, text.encode("utf-8"))
    console.print(f"已写入 {out}")
    return 0


@cli.command("rules", context_settings=CONTEXT)
@click.option("--pack", "pack_ref", metavar="P", help="规则包目录或 id")
@handle_errors
def rules_cmd(pack_ref: str | None) -> int:
    """列出规则包中的规则：编号、名称、严重程度、标签。"""
    from checker.pack.loader import load_pack
    pack = load_pack(pack_ref)
    table = Table(title=f"{pack.title}（{pack.id} {pack.version}）")
    for column in ("编号", "名称", "严重程度", "标签", "状态"):
        table.add_column(column)
    for rule in pack.rules.values():
        tags = "、".join(rule.tags) if rule.tags else ("综合诊断" if rule.composite else "")
        table.add_row(rule.id, rule.title, rule.severity, tags, "启用" if rule.enabled else "停用")
    console.print(table)
    return 0


@cli.command("explain", context_settings=CONTEXT)
@click.argument("rule_id", metavar="ID")
@click.option("--pack", "pack_ref", metavar="P", help="规则包目录或 id（默认：party-business-integration）")
@click.option("--param", "params", multiple=True, metavar="k=v", help="按运行时的 --param 显示参数当前值，可重复")
@handle_errors
def explain_cmd(rule_id: str, pack_ref: str | None, params: tuple[str, ...]) -> int:
    """显示一条规则：说明、依据、条件（原文）、计算值、参数当前值及来源、问题描述与整改要求模板、测试用例。"""
    from checker.pack.explain import explain
    from checker.pack.loader import load_pack, parse_param_assignment
    pack = load_pack(pack_ref)
    overrides = dict(parse_param_assignment(p, pack.parameters) for p in params)
    console.print(explain(pack, rule_id, overrides))
    return 0


@cli.command("docs", context_settings=CONTEXT)
@click.option("--pack", "pack_ref", metavar="P", help="规则包目录或 id（默认：party-business-integration）")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="写入的 Markdown 文件，如 docs/rules.md（默认输出到终端）")
@handle_errors
def docs_cmd(pack_ref: str | None, out: Path | None) -> int:
    """由规则包生成 Markdown 规则参考（每条规则的内容与 pbcheck explain 相同，另附参数表）。"""
    from checker.pack.docs import pack_markdown
    from checker.atomic import write_atomic
    from checker.pack.loader import load_pack
    pack = load_pack(pack_ref)
    text = pack_markdown(pack)
    if out is None:
        click.echo(text, nl=False)
        return 0
    write_atomic(out, text)
    console.print(f"已生成 {out}（规则包 {pack.id} {pack.version}，{len(pack.rules)} 条规则）。", markup=False,
                  soft_wrap=True)
    return 0


@cli.group("templates", context_settings=CONTEXT)
def templates_group() -> None:
    """报告模板：导出内置模板（整改通知书 Word/网页/Markdown、汇总报告）供修改后用 --templates 使用。"""


@templates_group.command("export", context_settings=CONTEXT)
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="覆盖目录中已有的同名文件")
@handle_errors
def templates_export_cmd(directory: Path, force: bool) -> int:
    """把内置报告模板复制到 DIR（notice.docx、notice.html.j2、notice.md.j2、summary.html.j2 和说明）。"""
    from checker.outputs.template_export import export_templates
    for path in export_templates(directory, force=force):
        console.print(f"  {path}", markup=False, soft_wrap=True)
    console.print(f"已导出报告模板到 {directory}；修改后运行时加 --templates {directory} 即可使用。", markup=False,
                  soft_wrap=True)
    return 0


def _demo_history(out_dir: Path) -> str:
    # The examples must never mix with a real inspection's history (pbcheck.db / PBCHECK_DB): the
    # demo keeps its own next to its outputs.
    out_dir.mkdir(parents=True, exist_ok=True)
    return str(out_dir / "pbcheck.db")


# history, diff, status, ledger import (checker.history)
from checker.cli.history import build_commands, report_history  # noqa: E402

for _command in build_commands(handle_errors, CONTEXT, console, err_console):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the `pbcheck` command."""
    # A check allocates many short-lived objects and few cycles: collect less often (~10 % faster,
    # bench/bench_engine.py). A process-wide choice, so made here and not in the library.
    gc.set_threshold(50_000, 50, 100)
    cli(prog_name="pbcheck")
