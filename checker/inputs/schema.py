"""The unit-record schema of records.md: the one source for validation, JSON Schema, the expression
type checker and the spreadsheet template.

A schema is a tree of `Record` types whose `Field`s have a `Scalar` or `ListOf` type. Nothing else
in the code lists field names by hand: validators, the condition-language type checker, the JSON
Schema export and the XLSX template all walk this tree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

# ---------------------------------------------------------------------------------------------
# Vocabulary (the Chinese words users type, records.md)
ORG_TYPES = ("党支部", "党总支", "基层党委")
PARTY_ROLES = ("书记", "副书记", "委员")
BUSINESS_ROLE_EXAMPLES = ("经理", "副经理", "总工程师", "总会计师", "总经济师", "安全总监", "主任", "副主任", "厂长", "副厂长")
MEETING_TYPES = (
    "支部党员大会", "支委会", "总支委员会", "党委会", "党小组会", "党课", "主题党日", "组织生活会",
    "民主评议党员", "经营班子会", "党政联席会", "工作例会", "谈心谈话",
)
TOPICS = ("党建", "业务", "融合", "学习", "人事", "财务")
PLAN_KINDS = ("党建", "经营", "融合")
INSPECTION_KINDS = ("联合检查", "党建专项", "业务专项")
DECISION_CATEGORIES = ("重大决策", "重要人事任免", "重大项目", "大额资金")
TRAINING_KINDS = ("理想信念", "理论学习", "业务知识", "融合实践")
ASSESSMENT_METHODS = ("过程提示法", "工作业绩评价法", "综合评价法")
LEADER_GRADES = ("优秀", "称职", "基本称职", "不称职")
KPI_DIRECTIONS = ("higher", "lower")
RECTIFICATION_STATUSES = ("未启动", "整改中", "申请销号", "已销号", "超期", "长期坚持")

# Meeting groups used by the checker and offered to packs as named constants.
PARTY_MEETINGS = ("支部党员大会", "支委会", "总支委员会", "党委会", "党小组会", "党课", "主题党日", "组织生活会", "民主评议党员")
BUSINESS_MEETINGS = ("经营班子会", "工作例会", "党政联席会")
COMMITTEE_MEETINGS = ("支委会", "总支委员会", "党委会")
COMMITTEE_MEETING_OF = {"党支部": "支委会", "党总支": "总支委员会", "基层党委": "党委会"}

# Bounds (records.md "Numbers have sensible bounds")
COUNT_MAX = 10_000_000
HOURS_MAX = 10_000
AMOUNT_MAX = 10 ** 13
SHORT_TEXT = 500          # names, titles, roles
LONG_TEXT = 200_000       # minutes and other free text; far below the engine's 16 MB string limit


@dataclass(frozen=True)
class Scalar:
    """A scalar type: string, integer, number, boolean or date, with optional enum and bounds."""

    kind: str                                  # "string" | "integer" | "number" | "boolean" | "date"
    enum: tuple[str, ...] | None = None        # closed vocabulary
    examples: tuple[str, ...] | None = None    # open vocabulary (shown as help, not enforced)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None

    def describe(self) -> str:
        """The type in words for error messages, e.g. `整数（0–10000000）`."""
        names = {"string": "字符串", "integer": "整数", "number": "数值", "boolean": "布尔值 true/false",
                 "date": "日期 YYYY-MM-DD"}
        text = names[self.kind]
        if self.enum:
            text = "以下之一：" + "、".join(self.enum)
        elif self.minimum is not None or self.maximum is not None:
            lo = _fmt_bound(self.minimum)
            hi = _fmt_bound(self.maximum)
            text += f"（{lo}–{hi}）"
        return text


@dataclass(frozen=True)
class ListOf:
    """A list whose elements are all of one type (a Scalar or a Record)."""

    item: "FieldType"

    def describe(self) -> str:
        """The type in words for error messages."""
        inner = self.item.describe() if isinstance(self.item, Scalar) else f"{self.item.label}记录"
        return f"列表（元素为{inner}）"


@dataclass(frozen=True)
class Field:
    """A named field of a record, with its Chinese label and help text for people filling it."""

    name: str
    type: "FieldType"
    required: bool = False
    label: str = ""
    help: str = ""


@dataclass(frozen=True)
class Record:
    """A record type (the unit itself or an element of one of its lists)."""

    name: str                                  # schema name, e.g. "meeting"
    label: str                                 # Chinese name, e.g. "会议"
    fields: tuple[Field, ...]
    key: Callable[[dict, int], str] | None = None   # item key (records.md "Item keys"), given the element and its 1-based position
    key_help: str = ""

    def field(self, name: str) -> Field | None:
        """The field called `name`, or None."""
        return _FIELD_INDEX[id(self)].get(name)

    def describe(self) -> str:
        """The type in words for error messages."""
        return f"{self.label}记录（映射）"


FieldType = Union[Scalar, ListOf, Record]
_FIELD_INDEX: dict[int, dict[str, Field]] = {}


def _fmt_bound(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return str(value)


def _record(name: str, label: str, fields: list[Field], key=None, key_help: str = "") -> Record:
    rec = Record(name, label, tuple(fields), key, key_help)
    _FIELD_INDEX[id(rec)] = {f.name: f for f in rec.fields}
    return rec


# Shorthands for the declarations below
def _s(n: int = SHORT_TEXT) -> Scalar:
    return Scalar("string", max_length=n)


def _enum(values: tuple[str, ...]) -> Scalar:
    return Scalar("string", enum=values)


def _count() -> Scalar:
    return Scalar("integer", minimum=0, maximum=COUNT_MAX)


def _hours() -> Scalar:
    return Scalar("number", minimum=0, maximum=HOURS_MAX)


def _share() -> Scalar:
    return Scalar("number", minimum=0, maximum=1)


def _score() -> Scalar:
    return Scalar("number", minimum=0, maximum=100)


BOOL = Scalar("boolean")
DATE = Scalar("date")
KPI_VALUE = Scalar("number", minimum=-AMOUNT_MAX, maximum=AMOUNT_MAX)


PERIOD = _record("period", "检查期间", [
    Field("start", DATE, True, "期间开始", "检查期间第一天，如 2025-01-01"),
    Field("end", DATE, True, "期间结束", "检查期间最后一天（含），如 2025-12-31"),
])

BRANCH_COMMITTEE = _record("branch_committee", "支部委员会", [
    Field("established", BOOL, False, "是否设立委员会", "是否设立支部（总支、党委）委员会"),
    Field("elected_on", DATE, False, "最近换届日期", "最近一次换届选举日期"),
    Field("term_years", Scalar("integer", minimum=1, maximum=10), False, "任期（年）", "每届任期年数，1–10"),
    Field("members", _count(), False, "委员人数", "委员会委员人数"),
])

LEADER = _record("leader", "班子成员", [
    Field("name", _s(), True, "姓名", "班子成员姓名，单位内唯一"),
    Field("party_role", _enum(PARTY_ROLES), False, "党内职务", "书记、副书记、委员，或留空"),
    Field("business_role", Scalar("string", examples=BUSINESS_ROLE_EXAMPLES, max_length=SHORT_TEXT), False,
          "行政职务", "如 经理、副经理、总工程师、总会计师，或留空"),
    Field("in_business_team", BOOL, False, "是否进入经营班子", "是否为经营班子成员"),
    Field("dual_duty_letter", BOOL, False, "是否签订一岗双责责任书", "本期是否签订一岗双责责任书"),
    Field("party_work_report", BOOL, False, "是否抓党建述职", "是否作年度抓党建工作述职（或接受述职评议）"),
    Field("annual_review", BOOL, False, "是否参加年度绩效评估", "是否参加班子年度绩效评估（§3.5）"),
    Field("training_hours", _hours(), False, "培训学时", "本期参加培训的学时数"),
], key=lambda e, i: str(e.get("name")), key_help="name")

MEETING_DECISION = _record("meeting_decision", "会议决议", [
    Field("text", _s(LONG_TEXT), True, "决议内容", "决议事项"),
    Field("owner", _s(), False, "责任人", "落实责任人，未明确留空"),
    Field("due", DATE, False, "完成时限", "完成时限，未明确留空"),
    Field("done", BOOL, False, "是否完成", "是否已落实完成"),
], key_help="<会议id>#<序号>")

MEETING = _record("meeting", "会议", [
    Field("id", _s(), True, "会议编号", "单位内唯一，如 M-2025-03"),
    Field("type", _enum(MEETING_TYPES), True, "会议类型", "、".join(MEETING_TYPES)),
    Field("date", DATE, True, "会议日期", "召开日期"),
    Field("recorded_on", DATE, False, "记录归档日期", "会议记录归档日期，不得早于会议日期"),
    Field("expected", _count(), False, "应到人数", "应出席人数"),
    Field("present", _count(), False, "实到人数", "实际出席人数，不得大于应到人数"),
    Field("secretary_present", BOOL, False, "书记是否出席", "书记是否出席"),
    Field("lecturer_role", Scalar("string", examples=PARTY_ROLES, max_length=SHORT_TEXT), False, "党课主讲人职务",
          "党课由谁讲授，如 书记"),
    Field("topics", ListOf(_enum(TOPICS)), False, "议题类别", "、".join(TOPICS) + "，多个用；或、分隔"),
    Field("minutes", _s(LONG_TEXT), False, "会议记录", "会议记录正文"),
    Field("decisions", ListOf(MEETING_DECISION), False, "会议决议", "本次会议形成的决议"),
    Field("evidence", ListOf(_s()), False, "佐证材料", "签到表、照片等文件名，多个用；分隔"),
], key=lambda e, i: str(e.get("id")), key_help="id")

PLAN_ITEM = _record("plan_item", "计划事项", [
    Field("text", _s(LONG_TEXT), True, "计划事项", "计划中的一项工作"),
    Field("business_goal", _s(), False, "对接经营目标", "该事项对接的经营目标，未对接留空"),
], key_help="<计划标题>#<序号>")

PLAN = _record("plan", "工作计划", [
    Field("title", _s(), True, "计划标题", "单位内唯一"),
    Field("kind", _enum(PLAN_KINDS), True, "计划类别", "、".join(PLAN_KINDS)),
    Field("approved_on", DATE, False, "批准日期", "计划批准日期"),
    Field("items", ListOf(PLAN_ITEM), False, "计划事项", "计划中的各项工作"),
], key=lambda e, i: str(e.get("title")), key_help="title")

INSPECTION = _record("inspection", "检查", [
    Field("date", DATE, True, "检查日期", "检查日期"),
    Field("kind", _enum(INSPECTION_KINDS), True, "检查类型", "联合检查（党政工团一起）、党建专项、业务专项"),
    Field("party_items", _count(), False, "党建检查项数", "检查内容中的党建项目数"),
    Field("business_items", _count(), False, "业务检查项数", "检查内容中的业务项目数"),
    Field("issues_found", _count(), False, "发现问题数", "检查发现的问题数"),
], key=lambda e, i: f"{e.get('date')} {e.get('kind')}", key_help="date + kind")

MAJOR_DECISION = _record("major_decision", "重大事项决策", [
    Field("id", _s(), True, "事项编号", "单位内唯一，如 D-07"),
    Field("title", _s(), True, "事项名称", "重大事项名称"),
    Field("category", _enum(DECISION_CATEGORIES), True, "事项类别", "、".join(DECISION_CATEGORIES)),
    Field("amount", Scalar("number", minimum=0, maximum=AMOUNT_MAX), False, "金额（元）", "涉及金额，人民币元"),
    Field("decided_on", DATE, True, "决策日期", "经营班子（董事会等）决策日期"),
    Field("prestudy_on", DATE, False, "前置研究日期", "党组织前置研究讨论日期，未研究留空"),
    Field("prestudy_meeting", _s(), False, "前置研究会议编号", "前置研究所在会议的编号，须为本单位会议"),
    Field("secretary_attended", BOOL, False, "书记是否参会", "书记是否出席决策会议"),
], key=lambda e, i: str(e.get("id")), key_help="id")

ZONE_KPI = _record("zone_kpi", "责任区指标", [
    Field("name", _s(), True, "指标名称", "如 月进尺"),
    Field("target", KPI_VALUE, False, "目标值", "目标值"),
    Field("actual", KPI_VALUE, False, "实际值", "实际完成值"),
], key_help="<责任区id>#<序号>")

ZONE = _record("zone", "党员责任区", [
    Field("id", _s(), True, "责任区编号", "单位内唯一，如 Z-1"),
    Field("name", _s(), True, "责任区名称", "党员责任区、示范岗、先锋岗名称"),
    Field("members", _count(), False, "党员人数", "责任区党员人数"),
    Field("kpis", ListOf(ZONE_KPI), False, "责任区指标", "责任区量化指标"),
    Field("reviewed_on", DATE, False, "最近评估日期", "最近一次评估责任区成效的日期，从未评估留空"),
], key=lambda e, i: str(e.get("id")), key_help="id")

TRAINING = _record("training", "培训", [
    Field("date", DATE, True, "培训日期", "培训日期"),
    Field("kind", _enum(TRAINING_KINDS), True, "培训类别", "、".join(TRAINING_KINDS)),
    Field("hours", _hours(), True, "学时", "培训学时"),
    Field("participants", _count(), False, "参训人数", "参训人数"),
], key=lambda e, i: f"{e.get('date')} {e.get('kind')}", key_help="date + kind")

SENSITIVE_POST = _record("sensitive_post", "重要敏感岗位", [
    Field("post", _s(), True, "岗位", "岗位名称，单位内唯一"),
    Field("holder", _s(), False, "在岗人员", "现任人员"),
    Field("since", DATE, False, "任职起始日期", "现任人员在该岗位的起始日期"),
    Field("rotation_limit_years", Scalar("integer", minimum=1, maximum=50), False, "轮岗年限", "规定的最长任职年限"),
], key=lambda e, i: str(e.get("post")), key_help="post")

DOCUMENT = _record("document", "制度文件", [
    Field("title", _s(), True, "文件名称", "单位内唯一"),
    Field("issued_on", DATE, False, "印发日期", "制度印发日期"),
    Field("last_applied_on", DATE, False, "最近执行日期", "最近一次执行（运用）该制度的日期，从未执行留空"),
], key=lambda e, i: str(e.get("title")), key_help="title")

ASSESSMENT = _record("assessment", "考核", [
    Field("party_weight", _share(), False, "党建考核权重", "党建在单位绩效考核中的权重，0–1"),
    Field("linked_to_pay", BOOL, False, "是否与薪酬挂钩", "考核结果是否与薪酬、评优、晋升挂钩"),
    Field("uses_business_results", BOOL, False, "是否运用经营成效", "党建考核是否同时依据生产经营成效（§2.4）"),
    Field("political_accounting", BOOL, False, "是否开展政治核算", "是否在经济核算之外开展政治核算"),
    Field("methods", ListOf(Scalar("string", examples=ASSESSMENT_METHODS, max_length=SHORT_TEXT)), False, "评价方法",
          "、".join(ASSESSMENT_METHODS) + " 等，多个用；分隔"),
    Field("party_score", _score(), False, "党建考核得分", "0–100"),
    Field("leader_grades", ListOf(_enum(LEADER_GRADES)), False, "班子成员考核等次", "、".join(LEADER_GRADES) + "，多个用；分隔"),
])

KPI = _record("kpi", "经营指标", [
    Field("name", _s(), True, "指标名称", "单位内唯一，如 产值"),
    Field("target", KPI_VALUE, False, "目标值", "目标值"),
    Field("actual", KPI_VALUE, False, "实际值", "实际完成值"),
    Field("unit", _s(), False, "计量单位", "如 万元、起"),
    Field("direction", _enum(KPI_DIRECTIONS), False, "达标方向", "higher（越高越好，默认）或 lower（越低越好，如安全事故）"),
], key=lambda e, i: str(e.get("name")), key_help="name")

PRIOR_FINDING = _record("prior_finding", "以往整改事项", [
    Field("rule", _s(), True, "规则编号", "以往检查发现问题对应的规则编号，如 FM03"),
    Field("period", _s(), True, "检查期间", "以往检查的期间，如 2024"),
    Field("due", DATE, False, "整改时限", "整改时限"),
    Field("status", _enum(RECTIFICATION_STATUSES), True, "整改状态", "、".join(RECTIFICATION_STATUSES)),
    Field("closed_on", DATE, False, "销号日期", "销号日期"),
    Field("evidence", ListOf(_s()), False, "佐证材料", "整改佐证材料文件名，多个用；分隔"),
], key=lambda e, i: f"{e.get('rule')} {e.get('period')}", key_help="rule + period")

UNIT = _record("unit", "单位", [
    Field("unit_id", _s(), True, "单位编号", "输入中唯一，如 GD-07"),
    Field("name", _s(), True, "党组织名称", "如 第七项目部党支部"),
    Field("org_type", _enum(ORG_TYPES), False, "组织类型", "党支部、党总支、基层党委"),
    Field("parent", _s(), False, "上级党组织", "如 华东工程公司党委"),
    Field("period", PERIOD, True, "检查期间", "start 与 end"),
    Field("staff", _count(), False, "职工人数", "所在业务单位职工人数"),
    Field("members", _count(), False, "党员人数", "党组织党员人数"),
    Field("party_workers", _count(), False, "党务工作者人数", "专兼职党务工作者人数"),
    Field("branch_committee", BRANCH_COMMITTEE, False, "委员会", "支部（总支、党委）委员会情况"),
    Field("leaders", ListOf(LEADER), False, "班子成员", "党组织和业务单位领导班子成员"),
    Field("meetings", ListOf(MEETING), False, "会议", "本期召开的各类会议"),
    Field("plans", ListOf(PLAN), False, "工作计划", "年度工作计划"),
    Field("inspections", ListOf(INSPECTION), False, "检查", "本期对本单位开展的检查"),
    Field("major_decisions", ListOf(MAJOR_DECISION), False, "重大事项", "三重一大事项"),
    Field("zones", ListOf(ZONE), False, "党员责任区", "党员责任区、示范岗、先锋岗"),
    Field("trainings", ListOf(TRAINING), False, "培训", "本期组织的培训"),
    Field("member_training_hours_avg", _hours(), False, "党员人均学时", "党员年度人均学习学时"),
    Field("sensitive_posts", ListOf(SENSITIVE_POST), False, "重要敏感岗位", "重要、敏感岗位（§3.4）"),
    Field("documents", ListOf(DOCUMENT), False, "制度文件", "党建制度文件"),
    Field("assessment", ASSESSMENT, False, "考核", "单位及班子考核情况（§3.5）"),
    Field("kpis", ListOf(KPI), False, "经营指标", "本期经营指标及完成情况"),
    Field("prior_findings", ListOf(PRIOR_FINDING), False, "以往整改事项", "以往检查的整改台账"),
])


def nested_key(parent_key: str, element: dict, position: int) -> str:
    """The item key of an element of a nested list: `<parent key>#<n>` (records.md)."""
    return f"{parent_key}#{position}"


def item_key(record: Record, element: dict, position: int, parent_key: str | None = None) -> str:
    """The item key of `element` (1-based `position`) following records.md "Item keys"."""
    if record.key is not None:
        return record.key(element, position)
    if parent_key is not None:
        return nested_key(parent_key, element, position)
    return str(position)


def walk_lists(record: Record = UNIT, prefix: str = ""):
    """Yield (dotted path, Record) for every list of records, nested ones included (e.g. `meetings.decisions`)."""
    for f in record.fields:
        t = f.type
        path = f"{prefix}{f.name}"
        if isinstance(t, ListOf) and isinstance(t.item, Record):
            yield path, t.item
            yield from walk_lists(t.item, path + ".")
        elif isinstance(t, Record):
            yield from walk_lists(t, path + ".")
