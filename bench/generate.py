"""`python -m bench.generate --units N --seed S --format jsonl|json|yaml|dir|xlsx|csv --out PATH`: realistic unit records.

Every unit is valid under records.md and varied the way a group's grassroots organisations are:
all three org types, year and half-year periods, 5–80 meetings, 0–20 major decisions, 0–10
responsibility zones, leaders, plans, inspections, trainings, posts, documents, KPIs and prior
findings, with mixed compliance (missed or late meetings, decisions without prior study, zones
never reviewed, posts overdue for rotation…) so that rules both fire and pass. Unit `i` depends
only on (seed, i): the output is deterministic and written one unit at a time (workbooks and CSV
sets in blocks of `BLOCK` units whose rows are interleaved, so a unit's rows are scattered over
each sheet as in a workbook filled by hand), never holding all units in memory.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any, Iterator

import yaml

from checker.inputs import schema

FORMATS = ("jsonl", "json", "yaml", "dir", "xlsx", "csv")
BLOCK = 50


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes shared values (a meeting's date reused as a decision's prestudy_on) in full, never as aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


_COMPANIES = ("华东工程公司", "中储物流公司", "西南电力公司", "北方装备制造公司", "南方水务公司", "东北化工公司",
              "中部建材公司", "华南港口公司", "西北能源公司", "沿海航运公司")
_UNITS = ("第一项目部", "第二项目部", "第三车间", "检修分公司", "冷链分公司", "营销中心", "运维部", "设计院",
          "物资部", "安全质量部", "调度中心", "第七项目部", "机加车间", "客服中心", "财务共享中心")
_SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宇浩凯鹏飞俊峰辉波宁"
_MINUTES = ("学习习近平新时代中国特色社会主义思想相关论述；研究{biz}，明确党员责任分工。",
            "传达上级党委会议精神；部署{biz}，组建党员突击队。",
            "学习《中国共产党支部工作条例（试行）》；通报{biz}进展，查摆存在问题。",
            "研究{biz}；听取党员思想动态汇报。",
            "集中学习党章党规；结合{biz}开展专题讨论。",
            "通报上月生产经营情况；布置{biz}。")
_BUSINESS = ("安全生产大检查", "年度产值目标分解", "节点工期攻坚", "成本压降", "设备检修计划", "客户满意度提升",
             "质量隐患排查", "新项目投标", "冬季保供", "技术攻关", "应收账款清欠", "环保达标整改")
_BUSINESS_ROLES = ("经理", "副经理", "总工程师", "总会计师", "总经济师", "安全总监", "主任", "副主任", "厂长", "副厂长")
_POSTS = ("物资采购", "财务出纳", "招标管理", "工程结算", "仓库保管", "合同管理", "人事薪酬")
_DOCUMENTS = ('支部"三会一课"实施细则', "党员责任区管理办法", "党建工作责任制考核办法", "重大事项前置研究清单",
              "党员示范岗评选办法", "谈心谈话制度", "主题党日活动规范")
_KPIS = (("产值", "万元", "higher"), ("利润", "万元", "higher"), ("安全事故", "起", "lower"), ("客户投诉", "件", "lower"),
         ("节点完成率", "%", "higher"), ("成本降低额", "万元", "higher"), ("质量合格率", "%", "higher"))
_ZONE_KPIS = ("月进尺", "设备完好率", "一次验收合格率", "隐患整改数", "服务满意度", "节能量")
_RULES = ("FM01", "FM03", "FM05", "PO02", "PO04", "BO01", "BO03", "RS02", "RS05", "CD01", "AS02", "X02")


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def _period(rng: random.Random) -> tuple[dt.date, dt.date]:
    year = rng.choice((2024, 2025, 2025, 2025))
    roll = rng.random()
    if roll < 0.7:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if roll < 0.85:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


def make_unit(seed: int, index: int) -> dict[str, Any]:
    """Unit `index` of the data set `seed`: a plain mapping as a YAML/JSON record would hold it (dates as dates)."""
    rng = random.Random(f"{seed}:{index}")
    good = rng.random()                          # the unit's overall diligence, 0 (poor) – 1 (model)
    org_type = rng.choice(schema.ORG_TYPES)
    start, end = _period(rng)
    company = rng.choice(_COMPANIES)
    members = rng.randint(3, 60) if org_type == "党支部" else rng.randint(30, 400)
    committee = rng.randint(3, 7)
    leaders = _leaders(rng, good)
    meetings = _meetings(rng, good, org_type, start, end, committee, members)
    unit: dict[str, Any] = {
        "unit_id": f"U{seed}-{index:06d}",
        "name": f"{company}{rng.choice(_UNITS)}{org_type}",
        "org_type": org_type,
        "parent": f"{company}党委",
        "period": {"start": start, "end": end},
        "staff": members * rng.randint(3, 12),
        "members": members,
        "party_workers": rng.choice((0, 1, 1, 1, 2, 3)),
        "branch_committee": {"established": rng.random() < 0.95,
                             "elected_on": _day(rng, start - dt.timedelta(days=1800), start),
                             "term_years": rng.choice((3, 3, 5)), "members": committee},
        "leaders": leaders,
        "meetings": meetings,
        "plans": _plans(rng, good, start),
        "inspections": _inspections(rng, good, start, end),
        "major_decisions": _decisions(rng, good, start, end, meetings),
        "zones": _zones(rng, good, start, end),
        "trainings": _trainings(rng, start, end, members),
        "member_training_hours_avg": round(rng.uniform(8, 60), 1),
        "sensitive_posts": _posts(rng, start),
        "documents": _documents(rng, good, start, end),
        "assessment": _assessment(rng, good, len(leaders)),
        "kpis": _kpis(rng),
        "prior_findings": _prior(rng, good, start, end),
    }
    for optional in ("plans", "inspections", "zones", "sensitive_posts", "documents", "prior_findings", "trainings"):
        if not unit[optional] and rng.random() < 0.5:
            del unit[optional]
    if rng.random() < 0.05:
        del unit["assessment"]
    return unit


def _leaders(rng: random.Random, good: float) -> list[dict]:
    roles = ["书记"] + (["副书记"] if rng.random() < 0.4 else []) + ["委员"] * rng.randint(1, 4)
    names: set[str] = set()
    leaders = []
    for role in roles + [None] * rng.randint(0, 2):
        name = _name(rng)
        while name in names:
            name = _name(rng)
        names.add(name)
        leaders.append({"name": name, "party_role": role,
                        "business_role": rng.choice(_BUSINESS_ROLES) if rng.random() < 0.7 else None,
                        "in_business_team": rng.random() < 0.5 + good / 2,
                        "dual_duty_letter": rng.random() < 0.6 + good / 2.5,
                        "party_work_report": rng.random() < 0.5 + good / 2,
                        "annual_review": rng.random() < 0.8 + good / 5,
                        "training_hours": rng.randint(8, 80)})
    return leaders


def _meetings(rng: random.Random, good: float, org_type: str, start: dt.date, end: dt.date,
              committee: int, members: int) -> list[dict]:
    months = max(1, round((end - start).days / 30.4))
    committee_type = schema.COMMITTEE_MEETING_OF[org_type]
    plan: list[str] = []
    plan += [committee_type] * sum(rng.random() < 0.55 + good * 0.45 for _ in range(months))
    plan += ["支部党员大会" if org_type == "党支部" else "党小组会"] * sum(rng.random() < 0.5 + good / 2 for _ in range(max(1, months // 3)))
    plan += ["党课"] * sum(rng.random() < 0.5 + good / 2 for _ in range(max(1, months // 3)))
    plan += ["主题党日"] * sum(rng.random() < 0.4 + good / 2 for _ in range(months))
    plan += ["工作例会"] * sum(rng.random() < 0.7 for _ in range(months))
    plan += ["经营班子会"] * sum(rng.random() < 0.5 for _ in range(months))
    plan += ["党政联席会"] * rng.randint(0, max(1, months // 2))
    plan += ["谈心谈话"] * rng.randint(0, months)
    if rng.random() < 0.6 + good / 2.5:
        plan.append("组织生活会")
    if rng.random() < 0.6 + good / 2.5:
        plan.append("民主评议党员")
    rng.shuffle(plan)
    target = rng.randint(5, 80)
    while len(plan) < target:
        plan.append(rng.choice(("工作例会", "主题党日", "党小组会", "谈心谈话", committee_type)))
    plan = plan[:target]
    days = sorted(_day(rng, start, end) for _ in plan)
    meetings = []
    for number, (kind, day) in enumerate(zip(plan, days), 1):
        expected = committee if kind in schema.COMMITTEE_MEETINGS else (
            members if kind in ("支部党员大会", "党课", "主题党日", "组织生活会", "民主评议党员") else rng.randint(2, 15))
        late = rng.random() > 0.8 + good / 5
        meeting: dict[str, Any] = {
            "id": f"M-{number:03d}", "type": kind, "date": day,
            "recorded_on": day + dt.timedelta(days=rng.randint(20, 90) if late else rng.randint(0, 3)),
            "expected": expected, "present": max(0, expected - rng.choice((0, 0, 0, 1, 1, 2, 3))),
        }
        if kind in schema.COMMITTEE_MEETINGS or kind in schema.BUSINESS_MEETINGS:
            meeting["secretary_present"] = rng.random() < 0.75 + good / 4
        if kind == "党课":
            meeting["lecturer_role"] = rng.choice(("书记", "书记", "副书记", "委员"))
        topics = []
        if kind in schema.PARTY_MEETINGS or rng.random() < good:
            topics.append("党建")
        if kind in schema.BUSINESS_MEETINGS or rng.random() < 0.3 + good / 2:
            topics.append("业务")
        if rng.random() < 0.2:
            topics.append(rng.choice(("融合", "学习", "人事", "财务")))
        meeting["topics"] = topics
        meeting["minutes"] = rng.choice(_MINUTES).format(biz=rng.choice(_BUSINESS))
        if rng.random() < 0.4:
            meeting["decisions"] = [
                {"text": f"落实{rng.choice(_BUSINESS)}第{n}项措施", "owner": _name(rng) if rng.random() < 0.85 else None,
                 "due": day + dt.timedelta(days=rng.randint(7, 90)) if rng.random() < 0.8 else None,
                 "done": rng.random() < 0.5 + good / 2}
                for n in range(1, rng.randint(1, 3) + 1)]
        meeting["evidence"] = [f"M-{number:03d}签到表.pdf"] + (["现场照片.jpg"] if rng.random() < 0.5 else []) \
            if rng.random() < 0.6 + good / 2.5 else []
        meetings.append(meeting)
    return meetings


def _plans(rng: random.Random, good: float, start: dt.date) -> list[dict]:
    plans = []
    for kind in ("党建", "经营", "融合"):
        if rng.random() < 0.4 + good / 2:
            plans.append({"title": f"{start.year}年{kind}工作计划", "kind": kind,
                          "approved_on": start + dt.timedelta(days=rng.randint(5, 60)),
                          "items": [{"text": f"{rng.choice(_BUSINESS)}（第{n}项）",
                                     "business_goal": rng.choice(_BUSINESS) if rng.random() < 0.3 + good / 2 else None}
                                    for n in range(1, rng.randint(1, 6) + 1)]})
    return plans


def _inspections(rng: random.Random, good: float, start: dt.date, end: dt.date) -> list[dict]:
    seen = set()
    out = []
    for _ in range(rng.randint(0, 8)):
        item = {"date": _day(rng, start, end),
                "kind": rng.choice(("联合检查",) * int(1 + good * 3) + ("党建专项", "业务专项")),
                "party_items": rng.randint(0, 10), "business_items": rng.randint(0, 15), "issues_found": rng.randint(0, 6)}
        if (item["date"], item["kind"]) not in seen:
            seen.add((item["date"], item["kind"]))
            out.append(item)
    return out


def _decisions(rng: random.Random, good: float, start: dt.date, end: dt.date, meetings: list[dict]) -> list[dict]:
    committee = [m for m in meetings if m["type"] in schema.COMMITTEE_MEETINGS]
    out = []
    for number in range(1, rng.randint(0, 20) + 1):
        decided = _day(rng, start, end)
        decision: dict[str, Any] = {
            "id": f"D-{number:02d}", "title": f"{rng.choice(_BUSINESS)}事项{number}",
            "category": rng.choice(schema.DECISION_CATEGORIES), "decided_on": decided,
            "secretary_attended": rng.random() < 0.7 + good / 3,
        }
        if decision["category"] in ("重大项目", "大额资金") or rng.random() < 0.3:
            decision["amount"] = rng.randrange(100_000, 50_000_000, 10_000)
        before = [m for m in committee if m["date"] <= decided]
        if before and rng.random() < 0.5 + good / 2:
            meeting = rng.choice(before[-3:])
            decision["prestudy_on"] = meeting["date"]
            decision["prestudy_meeting"] = meeting["id"]
        out.append(decision)
    return out


def _zones(rng: random.Random, good: float, start: dt.date, end: dt.date) -> list[dict]:
    out = []
    for number in range(1, rng.randint(0, 10) + 1):
        kpis = []
        for name in rng.sample(_ZONE_KPIS, rng.randint(0, 3)):
            target = rng.randint(10, 500)
            kpis.append({"name": name, "target": target, "actual": round(target * rng.uniform(0.7, 1.2))})
        out.append({"id": f"Z-{number}", "name": f"{rng.choice(_BUSINESS)}党员责任区", "members": rng.randint(2, 12),
                    "kpis": kpis, "reviewed_on": _day(rng, start, end) if rng.random() < 0.4 + good / 2 else None})
    return out


def _trainings(rng: random.Random, start: dt.date, end: dt.date, members: int) -> list[dict]:
    seen = set()
    out = []
    for _ in range(rng.randint(0, 10)):
        item = {"date": _day(rng, start, end), "kind": rng.choice(schema.TRAINING_KINDS),
                "hours": rng.choice((2, 3, 4, 4, 8, 16)), "participants": rng.randint(1, members)}
        if (item["date"], item["kind"]) not in seen:
            seen.add((item["date"], item["kind"]))
            out.append(item)
    return out


def _posts(rng: random.Random, start: dt.date) -> list[dict]:
    return [{"post": post, "holder": _name(rng), "since": _day(rng, start - dt.timedelta(days=3650), start),
             "rotation_limit_years": rng.choice((3, 5, 5, 8))}
            for post in rng.sample(_POSTS, rng.randint(0, 4))]


def _documents(rng: random.Random, good: float, start: dt.date, end: dt.date) -> list[dict]:
    return [{"title": title, "issued_on": _day(rng, start - dt.timedelta(days=2000), start),
             "last_applied_on": _day(rng, start, end) if rng.random() < 0.4 + good / 2 else None}
            for title in rng.sample(_DOCUMENTS, rng.randint(0, 5))]


def _assessment(rng: random.Random, good: float, leaders: int) -> dict:
    return {"party_weight": round(rng.uniform(0.05, 0.4), 2), "linked_to_pay": rng.random() < 0.5 + good / 2,
            "uses_business_results": rng.random() < 0.4 + good / 2,
            "political_accounting": rng.random() < 0.3 + good / 2,
            "methods": rng.sample(schema.ASSESSMENT_METHODS, rng.randint(0, 3)),
            "party_score": round(rng.uniform(60, 100), 1),
            "leader_grades": [rng.choice(schema.LEADER_GRADES[:3]) for _ in range(leaders)]}


def _kpis(rng: random.Random) -> list[dict]:
    out = []
    for name, unit, direction in rng.sample(_KPIS, rng.randint(1, 5)):
        if direction == "lower":
            target = rng.randint(0, 3)
            actual = max(0, target + rng.choice((-1, 0, 0, 1, 2)))
        else:
            target = rng.randint(100, 20000)
            actual = round(target * rng.uniform(0.75, 1.2), 1)
        kpi = {"name": name, "target": target, "actual": actual, "unit": unit}
        if direction == "lower":
            kpi["direction"] = "lower"
        out.append(kpi)
    return out


def _prior(rng: random.Random, good: float, start: dt.date, end: dt.date) -> list[dict]:
    out = []
    for rule in rng.sample(_RULES, rng.randint(0, 5)):
        status = rng.choice(schema.RECTIFICATION_STATUSES)
        item: dict[str, Any] = {"rule": rule, "period": str(start.year - 1),
                                "due": _day(rng, start, end), "status": status}
        if status == "已销号":
            item["closed_on"] = item["due"] - dt.timedelta(days=rng.randint(-20, 30))
            item["evidence"] = ["整改报告.pdf"] if rng.random() < 0.5 + good / 2 else []
        out.append(item)
    return out


def units(count: int, seed: int) -> Iterator[dict]:
    """The data set's units, one at a time."""
    for index in range(1, count + 1):
        yield make_unit(seed, index)


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__}")


def to_json(unit: dict) -> str:
    """One unit as a line of JSON."""
    return json.dumps(unit, ensure_ascii=False, default=_json_default)


def to_yaml(unit: dict) -> str:
    """One unit as a YAML document (block style, like the examples)."""
    return yaml.dump(unit, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def write(count: int, seed: int, form: str, out: Path) -> None:
    """Write `count` units of data set `seed` in `form` to `out` (a file, or a directory for dir and csv)."""
    if form in ("dir", "csv"):
        out.mkdir(parents=True, exist_ok=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    if form == "jsonl":
        with out.open("w", encoding="utf-8") as handle:
            for unit in units(count, seed):
                handle.write(to_json(unit) + "\n")
    elif form == "json":
        with out.open("w", encoding="utf-8") as handle:
            handle.write('{"units": [')
            for n, unit in enumerate(units(count, seed)):
                handle.write(("," if n else "") + "\n" + to_json(unit))
            handle.write("\n]}\n")
    elif form == "yaml":
        with out.open("w", encoding="utf-8") as handle:
            handle.write("units:\n")
            for unit in units(count, seed):
                text = to_yaml(unit)
                handle.write("- " + text.replace("\n", "\n  ").rstrip(" ") )
    elif form == "dir":
        width = len(str(count))
        for index, unit in enumerate(units(count, seed), 1):
            (out / f"unit-{index:0{width}d}.yaml").write_text(to_yaml(unit), encoding="utf-8")
    elif form in ("xlsx", "csv"):
        from bench.sheets import write_sheets
        write_sheets(units(count, seed), form, out, BLOCK)
    else:
        raise ValueError(f"unknown format {form}")


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, required=True, help="number of units")
    parser.add_argument("--seed", type=int, default=1, help="data set (the same seed gives the same units)")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="output form")
    parser.add_argument("--out", type=Path, required=True, help="output file (directory for dir and csv)")
    args = parser.parse_args(argv)
    if args.units < 1:
        parser.error("--units must be at least 1")
    write(args.units, args.seed, args.format, args.out)
    print(f"{args.units} units ({args.format}, seed {args.seed}) → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
