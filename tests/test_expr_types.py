"""The type checker of the condition language: names, scopes, reserved roots, types of every operator and
function, and the problems it reports (code, message, 0-based offset)."""
from __future__ import annotations

import pytest

from checker.inputs import schema as S
from checker.expr import types as T
from checker.expr.parser import parse

PARAMS = T.MapT("参数", (
    ("min_attendance", T.NUMBER), ("fm02_min_phrases", T.NUMBER), ("stock_phrases", T.CollT(T.STRING, T.STRING)),
    ("cutoff", T.DATE), ("strict", T.BOOL), ("label", T.STRING),
))
CONSTANTS = {**{k: T.literal_type(v) for k, v in T.BUILTIN_CONSTANTS.items()},
             "CLOSED_STATUSES": T.literal_type(["已销号", "长期坚持"]), "LIMIT": T.literal_type(3)}


def make_scope(for_each: str | None = None, composite: bool = False, values: dict | None = None) -> T.Scope:
    """The scope the compiler builds for a rule part (unit, params, period; item/parent under for_each)."""
    roots = {"unit": T.RecT(S.UNIT), "params": PARAMS, "period": T.PERIOD_TYPE}
    scope = T.Scope(roots, T.RecT(S.UNIT), dict(CONSTANTS), composite=composite)
    if for_each is not None:
        t = T.Checker(scope).check(parse(for_each))
        assert isinstance(t, T.CollT), for_each
        scope.roots["item"] = t.value
        if t.parent is not None:
            scope.roots["parent"] = t.parent
    if values is not None:
        scope.roots["values"] = T.MapT("values", tuple(values.items()))
    return scope


def check(text: str, **kw):
    """(type, [(offset, code, message)]) of an expression."""
    checker = T.Checker(make_scope(**kw))
    t = checker.check(parse(text))
    return t, [(p.pos, p.code, p.message) for p in checker.problems]


def ok(text: str, **kw):
    t, problems = check(text, **kw)
    assert problems == [], problems
    return t


def only_problem(text: str, **kw) -> tuple[int, str, str]:
    t, problems = check(text, **kw)
    assert len(problems) == 1, problems
    return problems[0]


def rec(record: S.Record) -> T.RecT:
    return T.RecT(record)


def coll(value, elem=None, parent=None) -> T.CollT:
    return T.CollT(value, value if elem is None else elem, parent)


# ---------------------------------------------------------------------------------------------
# Literals, lists, constants

@pytest.mark.parametrize(("text", "typ"), [
    ("1", T.NUMBER), ("2.5", T.NUMBER), ('"x"', T.STRING), ("true", T.BOOL), ("null", T.NULL),
    ("[1, 2]", coll(T.NUMBER)), ('["a", null]', coll(T.STRING)), ("[]", coll(T.ANY)),
    ("PARTY_MEETINGS", coll(T.STRING)), ("LIMIT", T.NUMBER), ("CLOSED_STATUSES", coll(T.STRING)),
])
def test_literal_and_constant_types(text, typ):
    assert ok(text) == typ


def test_mixed_list_is_a_type_error():
    assert only_problem('[1, "a"]') == (0, "type-error", "列表中的值类型不一致：字符串、数值")


def test_list_of_lists_is_refused():
    pos, code, message = only_problem("[[1], 2]")
    assert (pos, code) == (1, "type-error") and "简单值" in message


# ---------------------------------------------------------------------------------------------
# Paths and reserved roots

@pytest.mark.parametrize(("text", "typ"), [
    ("members", T.NUMBER), ("unit.members", T.NUMBER), ("name", T.STRING), ("org_type", T.STRING),
    ("period.start", T.DATE), ("period.end", T.DATE), ("period.days", T.NUMBER), ("period.months", T.NUMBER),
    ("period.quarters", T.NUMBER), ("period.year_long", T.BOOL),
    ("assessment.party_weight", T.NUMBER), ("branch_committee.established", T.BOOL),
    ("params.min_attendance", T.NUMBER), ("params.cutoff", T.DATE), ("params.stock_phrases", coll(T.STRING)),
    ("assessment", rec(S.ASSESSMENT)),
])
def test_path_types(text, typ):
    assert ok(text) == typ


def test_list_paths_projection_and_flattening():
    assert ok("meetings") == coll(rec(S.MEETING))
    # projection keeps the element for filters
    assert ok("trainings.hours") == T.CollT(T.NUMBER, rec(S.TRAINING), None)
    # a nested list flattens; its elements' parent is the outer element
    assert ok("meetings.decisions") == T.CollT(rec(S.MEETING_DECISION), rec(S.MEETING_DECISION), rec(S.MEETING))
    assert ok("plans.items") == T.CollT(rec(S.PLAN_ITEM), rec(S.PLAN_ITEM), rec(S.PLAN))
    assert ok("meetings.decisions.owner") == T.CollT(T.STRING, rec(S.MEETING_DECISION), rec(S.MEETING))
    assert ok("assessment.methods") == coll(T.STRING)


def test_item_and_parent_under_for_each():
    assert ok("item.present", for_each="meetings") == T.NUMBER
    assert ok("item.owner", for_each="meetings.decisions") == T.STRING
    assert ok("parent.type", for_each="meetings.decisions") == T.STRING
    assert ok("parent.kind", for_each="plans.items") == T.STRING
    assert ok("unit.members", for_each="meetings") == T.NUMBER


def test_reserved_roots_outside_their_scope():
    assert only_problem("item.present > 1") == (0, "unknown-name", "item 只能在 for_each 规则中使用")
    assert only_problem("parent.type", for_each="meetings") == \
        (0, "unknown-name", "parent 只能在嵌套 for_each 或嵌套列表的筛选条件中使用")
    assert only_problem("it == 1") == (0, "unknown-name", "it 只能在 where 筛选条件中使用")
    assert only_problem("values.x > 1") == (0, "unknown-name", "values 本规则未定义 values")


def test_values_fields():
    assert ok("values.share", values={"share": T.NUMBER}) == T.NUMBER
    assert only_problem("values.shar > 1", values={"share": T.NUMBER}) == \
        (7, "unknown-field", "values中没有 shar，是否应为 share？")


def test_unknown_field_with_did_you_mean_at_the_field_offset():
    assert only_problem("membrs > 3") == (0, "unknown-field", "单位记录没有字段 membrs，是否应为 members？")
    assert only_problem("assessment.party_wieght < 0.2") == \
        (11, "unknown-field", "考核记录没有字段 party_wieght，是否应为 party_weight？")
    assert only_problem("item.presnt > 1", for_each="meetings") == \
        (5, "unknown-field", "会议记录没有字段 presnt，是否应为 present？")
    pos, code, message = only_problem("period.ends > 1")
    assert (pos, code) == (7, "unknown-field") and message == "期间中没有 ends，是否应为 end？"


def test_unknown_parameter_has_its_own_code():
    assert only_problem("members > params.min_attendence") == \
        (17, "unknown-parameter", "参数中没有 min_attendence，是否应为 min_attendance？")


def test_used_parameters_are_recorded():
    checker = T.Checker(make_scope())
    checker.check(parse("members > params.min_attendance and contains_count(name, params.stock_phrases) > 1"))
    assert checker.used_params == {"min_attendance", "stock_phrases"}


def test_unquoted_chinese_value_gets_a_quoting_hint():
    assert only_problem('org_type == 党支部') == (12, "unknown-field", '单位记录没有字段 党支部（文字值请加引号，如 "党支部"）')
    assert only_problem("count(meetings where type == 支委会) > 1") == \
        (29, "unknown-field", '会议记录没有字段 支委会（文字值请加引号，如 "支委会"）')


def test_field_of_a_scalar_is_a_type_error():
    assert only_problem("members.x > 1") == (8, "type-error", "数值没有字段 x")


# ---------------------------------------------------------------------------------------------
# Filters: bare names are the element's fields, `it` is the element, `parent` the outer element

def test_filter_scope():
    assert ok('count(meetings where type == "支委会" and present < expected)') == T.NUMBER
    assert ok('count(plans.items where parent.kind == "党建" and business_goal != null)') == T.NUMBER
    assert ok('count(assessment.methods where it in ["过程提示法"])') == T.NUMBER
    assert ok('count(meetings where it.type == "党课")') == T.NUMBER
    assert ok("count(meetings where unit.members > present)") == T.NUMBER
    assert ok("count(meetings where date >= period.end - 29)") == T.NUMBER


def test_unit_field_written_bare_in_a_filter_gets_a_hint():
    pos, code, message = only_problem("count(meetings where members > 2) > 1")
    assert (pos, code) == (21, "unknown-field")
    assert message == "会议记录没有字段 members（筛选条件中的裸名称指元素的字段；单位字段请写 unit.members）"


def test_reserved_root_hides_an_element_field_of_the_same_name():
    pos, code, message = only_problem('count(prior_findings where period == "2024") > 0')
    assert (pos, code) == (27, "type-error")
    assert message == "不能直接比较期间（period 指保留名称；元素自己的 period 字段请写 it.period）"
    assert ok('count(prior_findings where it.period == "2024")') == T.NUMBER


def test_bare_name_in_a_filter_over_plain_values():
    pos, code, message = only_problem('count(assessment.methods where x == "a") > 0')
    assert (pos, code) == (31, "unknown-name")
    assert "请用 it" in message


def test_filter_must_be_a_condition():
    assert only_problem("count(meetings where present) > 0") == (21, "type-error", "此处应为真/假条件，实际为数值")


# ---------------------------------------------------------------------------------------------
# Operators

@pytest.mark.parametrize(("text", "typ"), [
    ("members + 1", T.NUMBER), ("members * 2 / 3 - 1", T.NUMBER), ("-members", T.NUMBER),
    ("period.end - 29", T.DATE), ("period.start + 10", T.DATE), ("10 + period.start", T.DATE),
    ("period.end - period.start", T.NUMBER), ("members + null", T.NUMBER), ("null + null", T.NUMBER),
    ("period.end - params.min_attendance", T.DATE),
])
def test_arithmetic_types(text, typ):
    assert ok(text) == typ


@pytest.mark.parametrize(("text", "pos", "message"), [
    ("1 - period.end", 0, "不能对数值和日期做 “-” 运算（日期只能加减天数，或两个日期相减得天数）"),
    ("period.end + period.start", 0, "不能对日期和日期做 “+” 运算（日期只能加减天数，或两个日期相减得天数）"),
    ("period.end * 2", 0, "不能对日期和数值做 “*” 运算（日期只能加减天数，或两个日期相减得天数）"),
    ('name + "x"', 0, "不能对字符串和字符串做 “+” 运算"),
    ("true + 1", 0, "不能对布尔值和数值做 “+” 运算"),
    ('-"a"', 0, "负号只能用于数值，实际为字符串"),
])
def test_arithmetic_type_errors(text, pos, message):
    assert only_problem(text) == (pos, "type-error", message)


@pytest.mark.parametrize("text", [
    "members > 3", "members == null", "null == members", "name != null", 'org_type == "党支部"',
    "period.end >= period.start", "period.year_long == true", "period.year_long != false",
    'name in ["a", "b"]', 'name not in PARTY_MEETINGS', '"研究" in name', "members in [1, 2]",
    "not (members > 3)", "members > 3 and name != null or period.year_long",
])
def test_comparisons_and_logic_are_boolean(text):
    assert ok(text) == T.BOOL


@pytest.mark.parametrize(("text", "pos", "message"), [
    ("period.start > 3", 0, "不能比较日期和数值"),
    ("period.start == 3", 0, "不能比较日期和数值"),
    ('members == "3"', 0, "不能比较数值和字符串"),
    ("period.year_long < true", 0, "真/假值只能用 == 或 != 比较"),
    ("assessment == null", 0, "不能直接比较考核记录（请用 count/len/any 等函数）"),
    ("meetings == 3", 0, "不能直接比较列表（会议记录）（请用 count/len/any 等函数）"),
    ("period.start in [1, 2]", 0, "日期不能与列表（数值）的元素比较"),
    ("name in members", 8, "in 的右边应为列表或字符串，实际为数值"),
    ("not members", 4, "此处应为真/假条件，实际为数值"),
    ("members and true", 0, "此处应为真/假条件，实际为数值"),
])
def test_comparison_type_errors(text, pos, message):
    assert only_problem(text) == (pos, "type-error", message)


def test_a_condition_must_be_true_or_false():
    checker = T.Checker(make_scope())
    checker.check_condition(parse("members + 1"))
    assert [(p.pos, p.code, p.message) for p in checker.problems] == [(0, "type-error", "条件的结果应为真/假，实际为数值")]


def test_a_problem_on_the_left_does_not_hide_one_on_the_right():
    t, problems = check("item.presnt / item.expected < params.min_attendence", for_each="meetings")
    assert [(p[0], p[1]) for p in problems] == [(5, "unknown-field"), (37, "unknown-parameter")]
    t, problems = check("membrs + nme > 1")
    assert [(p[0], p[1]) for p in problems] == [(0, "unknown-field"), (9, "unknown-field")]


def test_every_problem_of_an_and_is_reported():
    t, problems = check("membrs > 1 and nme == null or period.start > 3")
    assert [(p[0], p[1]) for p in problems] == [(0, "unknown-field"), (15, "unknown-field"), (30, "type-error")]


# ---------------------------------------------------------------------------------------------
# Functions

@pytest.mark.parametrize(("text", "typ"), [
    ('count(meetings where type == "支委会")', T.NUMBER),
    ("count(meetings)", T.NUMBER),
    ("sum(trainings.hours)", T.NUMBER),
    ('sum(trainings.hours where kind in ["业务知识", "融合实践"])', T.NUMBER),
    ("avg(leaders.training_hours)", T.NUMBER),
    ("min(meetings.date)", T.DATE), ("max(meetings.date)", T.DATE), ("max(kpis.actual)", T.NUMBER),
    ('any(leaders where party_role == "书记")', T.BOOL), ("all(meetings where present > 0)", T.BOOL),
    ("any(leaders.dual_duty_letter)", T.BOOL), ("any(zones)", T.BOOL),
    ("len(meetings)", T.NUMBER), ("len(name)", T.NUMBER), ("len(meetings where present > 0)", T.NUMBER),
    ("distinct(leaders.party_role)", T.NUMBER), ("distinct(assessment.leader_grades)", T.NUMBER),
    ("ratio(members, staff)", T.NUMBER), ("abs(members - 3)", T.NUMBER),
    ("add_years(branch_committee.elected_on, branch_committee.term_years)", T.DATE),
    ("in_period(period.start)", T.BOOL),
    ("contains_count(name, params.stock_phrases)", T.NUMBER),
    ('contains_count(name, ["高度重视", "认真贯彻"])', T.NUMBER),
])
def test_function_result_types(text, typ):
    assert ok(text) == typ


def test_functions_in_an_item_scope():
    assert ok("in_period(item.date)", for_each="meetings") == T.BOOL
    assert ok("contains_count(item.minutes, params.stock_phrases) >= params.fm02_min_phrases", for_each="meetings") == T.BOOL
    assert ok("count(parent.decisions where done != true) > 1", for_each="meetings.decisions") == T.BOOL


def test_similar_pairs_yields_pairs_with_a_b_and_score():
    t = ok("similar_pairs(meetings, by: type, field: minutes, min: params.min_attendance)")
    assert isinstance(t, T.CollT) and isinstance(t.value, T.MapT)
    assert t.value.get("a") == rec(S.MEETING) and t.value.get("score") == T.NUMBER
    fe = "similar_pairs(meetings where type in PARTY_MEETINGS, by: type, field: minutes, min: 0.85)"
    assert ok("item.a.id != item.b.id and item.score >= 0.9", for_each=fe) == T.BOOL
    assert ok("count(similar_pairs(meetings, field: minutes) where score > 0.9)") == T.NUMBER


@pytest.mark.parametrize(("text", "pos", "code", "message"), [
    ("coutn(meetings) > 1", 0, "unknown-function", "未知函数 coutn，是否应为 count？"),
    ("frobnicate(1)", 0, "unknown-function", "未知函数 frobnicate"),
    ("count(meetings, zones) > 1", 0, "bad-argument", "count 需要 1 个位置参数，实际 2 个"),
    ("count(meetings, by: type) > 1", 16, "bad-argument", "count 没有名为 by 的参数"),
    ("ratio(1)", 0, "bad-argument", "ratio 需要 2 个位置参数，实际 1 个"),
    ("similar_pairs(meetings, by: type, fields: minutes)", 34, "bad-argument",
     "similar_pairs 没有名为 fields 的参数（可用：by、field、min）"),
    ("similar_pairs(meetings, by: type)", 0, "bad-argument", "similar_pairs 需要 field: 参数（比较哪个文本字段）"),
    ("similar_pairs(meetings, field: present)", 31, "type-error", "similar_pairs 的 field 应为文本字段，实际为数值"),
    ("similar_pairs(meetings, field: minutes, min: \"高\")", 45, "type-error", "similar_pairs 的 min 应为 0–1 的数值"),
    ("similar_pairs(trainings.hours, field: minutes)", 14, "type-error", "similar_pairs 的第一个参数应为记录列表（如 meetings）"),
    ("count(members) > 1", 6, "type-error", "count 的参数应为列表，实际为数值"),
    ("sum(meetings.type) > 1", 4, "type-error", "sum 的参数应为数值列表（如 trainings.hours），实际为列表（字符串）"),
    ("avg(meetings.date) > 1", 4, "type-error", "avg 的参数应为数值列表（如 trainings.hours），实际为列表（日期）"),
    ("any(trainings.hours)", 4, "type-error", "any 需要 where 条件或真/假值的列表"),
    ("distinct(meetings) > 1", 9, "type-error", "distinct 的参数应为简单值的列表（如 leaders.party_role）"),
    ("len(members) > 1", 4, "type-error", "len 的参数应为列表或字符串，实际为数值"),
    ('ratio(members, "a") > 1', 15, "type-error", "ratio 的参数应为数值，实际为字符串"),
    ("ratio(meetings where present > 0, 2) > 1", 6, "syntax-error", "ratio 不接受 where 筛选"),
    ("add_years(members, 1) > period.end", 10, "type-error", "add_years 的第一个参数应为日期，实际为数值"),
    ("add_years(period.end, name) > period.end", 22, "type-error", "add_years 的第二个参数应为年数，实际为字符串"),
    ("in_period(members)", 10, "type-error", "in_period 的参数应为日期，实际为数值"),
    ("contains_count(members, params.stock_phrases) > 1", 15, "type-error", "contains_count 的第一个参数应为文本，实际为数值"),
    ("contains_count(name, [1, 2]) > 1", 21, "type-error", "contains_count 的第二个参数应为词语列表，实际为列表（数值）"),
])
def test_function_errors(text, pos, code, message):
    assert only_problem(text) == (pos, code, message)


# ---------------------------------------------------------------------------------------------
# Composite-only functions

@pytest.mark.parametrize("text", [
    'distinct_rules(tag: "形式化") >= 3', 'fired("RC01")', 'fired_any("RS*")',
    'distinct_rules(ids: ["SY01", "SY02"]) >= 2',
])
def test_composite_functions_outside_composites(text):
    pos, code, message = only_problem(text)
    func = text.split("(")[0]
    assert (pos, code) == (0, "composite-only")
    assert message == f"{func} 只能用于综合诊断规则（composite: true）"


def test_composite_functions_inside_composites_record_their_references():
    checker = T.Checker(make_scope(composite=True))
    node = parse('distinct_rules(tag: "形式化") >= 3 or distinct_rules(ids: ["SY01", "SY02"]) >= 2 '
                 'or (fired_any("RS*") and fired("RC01"))')
    assert checker.check(node) == T.BOOL and checker.problems == []
    assert [(k, v) for k, v, _ in checker.used_rule_refs] == [
        ("tag", "形式化"), ("id", "SY01"), ("id", "SY02"), ("glob", "RS*"), ("id", "RC01")]


def test_fired_with_an_item_field_is_a_dynamic_reference():
    checker = T.Checker(make_scope(for_each="prior_findings", composite=True))
    assert checker.check(parse('item.status == "已销号" and fired(item.rule)')) == T.BOOL
    assert [(k, v) for k, v, _ in checker.used_rule_refs] == [("dynamic", "")]


@pytest.mark.parametrize(("text", "pos", "code", "message"), [
    ('distinct_rules(tag: "a", ids: ["X"]) >= 1', 0, "bad-argument", "distinct_rules 需要且只需要 tag: 或 ids: 之一"),
    ("distinct_rules() >= 1", 0, "bad-argument", "distinct_rules 需要且只需要 tag: 或 ids: 之一"),
    ("distinct_rules(tag: 3) >= 1", 20, "type-error", "distinct_rules 的 tag 应为字符串"),
    ("distinct_rules(ids: [1, 2]) >= 1", 20, "type-error", "distinct_rules 的 ids 应为规则编号列表"),
    ("distinct_rules(kind: \"x\") >= 1", 15, "bad-argument", "distinct_rules 没有名为 kind 的参数（可用：ids、tag）"),
    ("fired(3)", 6, "type-error", "fired 的参数应为规则编号字符串，实际为数值"),
])
def test_composite_function_errors(text, pos, code, message):
    assert only_problem(text, composite=True) == (pos, code, message)


# ---------------------------------------------------------------------------------------------
# Describing types in messages

def test_type_descriptions_are_chinese():
    assert [T.describe(t) for t in (T.NUMBER, T.STRING, T.BOOL, T.DATE, T.NULL, T.ANY)] == \
        ["数值", "字符串", "布尔值", "日期", "null", "任意值"]
    assert T.describe(rec(S.MEETING)) == "会议记录"
    assert T.describe(coll(T.STRING)) == "列表（字符串）"
