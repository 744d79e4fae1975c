"""The 融合度指数 across runs: stored per unit per run, the change in the summary and notices, `history --unit`."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

from checker.cli.main import cli
from checker.pipeline.run import RunOptions, execute
from checker.resources import resource_dir


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("index-history")
    first, second = base / "r1", base / "r2"
    shutil.copytree(resource_dir("examples") / "records", first)
    shutil.copytree(first, second)
    record = second / "GD-03.yaml"                      # GD-03 improves: a party worker (BO03), party weight (BO02)
    text = record.read_text("utf-8")
    text = re.sub(r"^party_workers: 0.*$", "party_workers: 1", text, flags=re.M)
    text = re.sub(r"party_weight: 0\.1\b.*$", "party_weight: 0.25", text, flags=re.M)
    record.write_text(text, "utf-8")
    db = str(base / "history.db")
    import datetime as dt
    execute(RunOptions(inputs=[str(first)], out_dir=base / "o1", formats=["summary"], db=db, fail_on="never",
                       as_of=dt.date(2026, 1, 15)))
    outcome = execute(RunOptions(inputs=[str(second)], out_dir=base / "o2", formats=["summary", "md", "index"],
                                 db=db, fail_on="never", as_of=dt.date(2026, 7, 15)))
    first_doc = json.loads((base / "o1" / "findings.json").read_text("utf-8"))
    second_doc = json.loads((base / "o2" / "findings.json").read_text("utf-8"))
    return base, db, first_doc, second_doc, outcome


def _index(doc, unit):
    return next(u["index"] for u in doc["units"] if u["unit"] == unit)


def test_the_improved_unit_scores_higher(two_runs):
    _, _, first, second, outcome = two_runs
    before, after = _index(first, "GD-03"), _index(second, "GD-03")
    assert after["overall"] > before["overall"]
    assert before["dimensions"]["organise"] < after["dimensions"]["organise"]
    assert before["dimensions"]["assess"] < after["dimensions"]["assess"]
    previous = outcome.extras["index_previous"]["GD-03"]
    assert previous["overall"] == before["overall"] and previous["seq"] == 1 and previous["as_of"] == "2026-01-15"


def test_the_summary_shows_the_change(two_runs):
    base, _, first, second, _ = two_runs
    delta = round(_index(second, "GD-03")["overall"] * 10 - _index(first, "GD-03")["overall"] * 10) / 10
    html = (base / "o2" / "summary.html").read_text("utf-8")
    row = next(r for r in html.split("<tr>") if '<td class="id">GD-03</td>' in r and "数据覆盖" not in r
               and "<span" in r)
    assert f'<span class="up">↑{delta:.1f}</span>' in row
    first_html = (base / "o1" / "summary.html").read_text("utf-8")
    assert "较上次" not in first_html.split('<section id="index">', 1)[1].split("</section>", 1)[0]


def test_the_notice_shows_the_change(two_runs):
    base, _, first, second, _ = two_runs
    delta = round(_index(second, "GD-03")["overall"] * 10 - _index(first, "GD-03")["overall"] * 10) / 10
    md = (base / "o2" / "notices" / "GD-03.md").read_text("utf-8")
    assert f"较上次检查↑{delta:.1f}" in md and "| 维度 | 得分 | 上次 |" in md


def test_history_unit_lists_the_index_per_run(two_runs):
    _, db, first, second, _ = two_runs
    result = CliRunner().invoke(cli, ["history", "--db", db, "--unit", "GD-03", "--json"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.output)
    assert [r["index"]["overall"] for r in runs] == [_index(second, "GD-03")["overall"], _index(first, "GD-03")["overall"]]
    table = CliRunner().invoke(cli, ["history", "--db", db, "--unit", "GD-03"], terminal_width=200)
    assert table.exit_code == 0
    assert "融合度指数" in table.output and str(_index(second, "GD-03")["overall"]) in table.output
    assert "↑" in table.output


def test_the_index_workbook_is_written(two_runs):
    base = two_runs[0]
    assert (base / "o2" / "index.xlsx").stat().st_size > 0 and (base / "o2" / "index.csv").is_file()


def test_a_database_of_schema_0001_is_migrated_and_keeps_its_runs(tmp_path):
    from sqlalchemy import create_engine, inspect, text
    from alembic import command
    from checker.history.database import _alembic_config, open_database
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        config = _alembic_config(conn)
        command.upgrade(config, "0001")
    engine.dispose()
    db = open_database(str(path))
    with db.transaction() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("pbcheck_run_units")}
        version = conn.execute(text("SELECT version_num FROM pbcheck_alembic_version")).scalar()
    db.dispose()
    assert "integration_index" in columns and version == "0002"
