"""The reference evaluator: the value of every construct of the condition language, null semantics,
aggregates over nested lists, dates, FM01 similarity (hand-computed scores) and composite functions."""
from __future__ import annotations

import datetime as dt

import pytest

from checker.expr import types as T
from checker.expr.evaluate import (MIN_SIMILARITY_LENGTH, Coll, Context, FindingsView, arithmetic, compare, evaluate, jaccard, normalise_text, similarity, trigrams, truthy)
from checker.expr.parser import parse
from checker.inputs.period import Period, add_years
from checker.inputs.records import validate_unit

D = dt.date

RAW_UNIT = {
    "unit_id": "U-1",
    "name": "测试党支部",
    "org_type": "党支部",
    "period": {"start": D(2025, 1, 1), "end": D(2025, 12, 31)},
    "members": 23,
    "staff": 0,
    "party_workers": None,
    "branch_committee": {"established": True, "elected_on": D(2022, 3, 10), "term_years": 3, "members": 5},
    "leaders": [
        {"name": "张伟", "party_role": "书记", "business_role": "副经理", "in_business_team": True, "training_hours": 60},
        {"name": "李强", "party_role": "委员", "business_role": "经理", "in_business_team": None, "training_hours": None},
        {"name": "王芳", "party_role": None, "business_role": "总工程师", "in_business_team": False, "training_hours": 20},
    ],
    "meetings": [
        {"id": "M1", "type": "支委会", "date": D(2025, 3, 12), "expected": 5, "present": 4, "topics": ["党建", "业务"],
         "minutes": "研究三季度安全生产任务分解", "decisions": [
             {"text": "成立攻坚小组", "owner": "李强", "due": D(2025, 4, 30), "done": True},
             {"text": "开展隐患排查", "owner": None, "due": None, "done": False}]},
        {"id": "M2", "type": "党课", "date": D(2024, 12, 20), "expected": 20, "present": 18, "topics": ["学习"],
         "decisions": [{"text": "撰写心得", "owner": "王芳", "due": D(2025, 1, 10), "done": True}]},
        {"id": "M3", "type": "支委会", "date": D(2025, 12, 5), "expected": 5, "present": None, "topics": []},
    ],
    "plans": [
        {"title": "党建计划", "kind": "党建", "items": [{"text": "a", "business_goal": "工期"}, {"text": "b", "business_goal": None},
                                                  {"text": "c"}]},
        {"title": "经营计划", "kind": "经营", "items": [{"text": "d", "business_goal": "产值"}]},
    ],
    "trainings": [
        {"date": D(2025, 4, 10), "kind": "理论学习", "hours": 4},
        {"date": D(2025, 5, 10), "kind": "业务知识", "hours": 8},
        {"date": D(2025, 6, 10), "kind": "融合实践", "hours": 2.5},
    ],
    "assessment": {"party_weight": None, "methods": ["过程提示法", "综合评价法"], "leader_grades": ["称职", "称职", "优秀"]},
    "kpis": [{"name": "产值", "target": 100, "actual": 120}, {"name": "事故", "target": 0, "actual": 1, "direction": "lower"}],
}
# Evaluated the way a run sees it: validated and normalised (absent lists are [], absent records are all-null).
UNIT, _problems = validate_unit(RAW_UNIT, "test")
assert not _problems, _problems

PARAMS = {"min_attendance": 0.8, "stock_phrases": ["高度重视", "认真贯彻", "进一步加强"], "fm01_similarity": 0.85}
CONSTANTS = {**T.BUILTIN_CONSTANTS, "CLOSED_STATUSES": ["已销号", "长期坚持"], "LIMIT": 3}


def context(unit: dict = UNIT, **kw) -> Context:
    period = Period(unit["period"]["start"], unit["period"]["end"])
    return Context(unit=unit, period=period.as_dict(), params=kw.pop("params", PARAMS), constants=CONSTANTS,
                   fields=unit, period_obj=period, **kw)


def ev(text: str, unit: dict = UNIT, **kw):
    return evaluate(parse(text), context(unit, **kw))


# ---------------------------------------------------------------------------------------------
# Literals, paths, reserved roots

@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("2.5", 2.5), ('"支委会"', "支委会"), ("true", True), ("false", False), ("null", None), ("-4", -4),
])
def test_literals(text, value):
    assert ev(text) == value


def test_list_literal_is_a_collection():
    value = ev('["a", "b", 1 + 1]')
    assert isinstance(value, Coll) and value.values() == ["a", "b", 2]


def test_unit_paths():
    assert ev("members") == 23
    assert ev("unit.members") == 23
    assert ev("branch_committee.members") == 5
    assert ev("party_workers") is None
    assert ev("zones") == Coll([])                     # an absent list is empty
    assert ev("assessment.party_weight") is None       # present but null
    assert ev("assessment.party_score") is None        # absent field
    bare = dict(UNIT)
    del bare["assessment"]
    assert ev("assessment.party_weight", bare) is None  # a missing record gives null for every field under it
    assert ev("zones", RAW_UNIT) is None                # before normalisation an absent list is null …
    assert ev("count(zones)", RAW_UNIT) == 0            # … which aggregates treat as empty


def test_params_period_and_constants():
    assert ev("params.min_attendance") == 0.8
    assert ev("params.stock_phrases").values() == ["高度重视", "认真贯彻", "进一步加强"]
    assert ev("period.start") == D(2025, 1, 1) and ev("period.end") == D(2025, 12, 31)
    assert (ev("period.days"), ev("period.months"), ev("period.quarters"), ev("period.year_long")) == (365, 12, 4, True)
    assert ev("PARTY_MEETINGS").values()[:2] == ["支部党员大会", "支委会"]
    assert ev("LIMIT") == 3


def test_short_period_values():
    unit = {**UNIT, "period": {"start": D(2025, 2, 15), "end": D(2025, 7, 1)}}
    assert (ev("period.days", unit), ev("period.months", unit), ev("period.quarters", unit), ev("period.year_long", unit)) == \
        (137, 6, 3, False)


def test_item_parent_and_values_roots():
    meeting = UNIT["meetings"][0]
    decision = meeting["decisions"][1]
    assert ev("item.present / item.expected", item=meeting) == 0.8
    assert ev("item.owner == null and parent.type == \"支委会\"", item=decision, parent=meeting) is True
    assert ev("values.share * 2", values={"share": 0.3}) == 0.6


# ---------------------------------------------------------------------------------------------
# Nested lists: for_each over meetings.decisions gives each decision with its meeting as parent

def test_nested_list_entries_carry_their_parent():
    coll = ev("meetings.decisions")
    assert [v["text"] for v in coll.values()] == ["成立攻坚小组", "开展隐患排查", "撰写心得"]
    assert [p["id"] for _, _, p in coll.entries] == ["M1", "M1", "M2"]


def test_plan_items_flatten_with_the_plan_as_parent():
    coll = ev("plans.items")
    assert [(v["text"], p["title"]) for v, _, p in coll.entries] == \
        [("a", "党建计划"), ("b", "党建计划"), ("c", "党建计划"), ("d", "经营计划")]


def test_projection_keeps_the_element_for_filters():
    hours = ev("trainings.hours")
    assert hours.values() == [4, 8, 2.5]
    assert [e["kind"] for _, e, _ in hours.entries] == ["理论学习", "业务知识", "融合实践"]
    assert ev("meetings.decisions.owner").values() == ["李强", None, "王芳"]
    assert ev("meetings.topics").values() == ["党建", "业务", "学习"]      # lists of plain values flatten too


# ---------------------------------------------------------------------------------------------
# Aggregates and filters

@pytest.mark.parametrize(("text", "value"), [
    ("count(meetings)", 3),
    ('count(meetings where type == "支委会")', 2),
    ('count(meetings where type == "支委会" and in_period(date))', 2),
    ("count(meetings where in_period(date))", 2),
    ("count(meetings.decisions)", 3),
    ("count(meetings.decisions where owner == null or due == null)", 1),
    ('count(meetings.decisions where parent.type == "党课")', 1),
    ('count(plans.items where parent.kind == "党建")', 3),
    ('count(plans.items where parent.kind == "党建" and business_goal != null)', 1),
    ('count(assessment.methods where it in ["过程提示法", "工作业绩评价法"])', 1),
    ('count(meetings where it.type == "党课")', 1),
    ("count(meetings where unit.members > 20 and present > 3)", 2),      # M3's null present is not > 3
    ("count(zones)", 0),
    ("count(meetings.present)", 2),                                       # aggregates skip nulls: M3's present is null
    ("len(meetings.present)", 3),                                         # len counts the elements themselves
    ("count(leaders.training_hours)", 2), ("count(meetings.decisions.owner)", 2),
    ("sum(trainings.hours)", 14.5),
    ('sum(trainings.hours where kind in ["业务知识", "融合实践"])', 10.5),
    ("sum(leaders.training_hours)", 80),                                  # null skipped
    ("sum(zones.members)", 0),
    ("avg(leaders.training_hours)", 40.0),                                # (60 + 20) / 2: null skipped
    ("avg(zones.members)", None),
    ("min(leaders.training_hours)", 20),
    ("max(meetings.date)", D(2025, 12, 5)),
    ("min(meetings.date)", D(2024, 12, 20)),
    ("min(zones.members)", None),
    ("max(meetings.present where type == \"支委会\")", 4),
    ('any(leaders where party_role == "书记")', True),
    ('any(leaders where party_role == "副书记")', False),
    ("any(leaders.in_business_team)", True),
    ("all(leaders.in_business_team)", False),                             # null is not true
    ("all(meetings where expected > 0)", True),
    ("all(meetings where present > 0)", False),
    ("any(zones where members > 0)", False),
    ("all(zones where members > 0)", True),                               # vacuously true over no zones
    ("any(meetings)", True), ("any(zones)", False),
    ("len(meetings)", 3), ("len(zones)", 0), ('len("党建工作")', 4), ("len(meetings where type == \"党课\")", 1),
    ("len(unit.name)", 5), ("len(unit.parent)", 0),                       # absent text has no characters
    ("distinct(leaders.party_role)", 2),                                  # null is not a value
    ("distinct(assessment.leader_grades)", 2),
    ("distinct(meetings.type)", 2),
    ("distinct(zones.name)", 0),
])
def test_aggregates(text, value):
    result = ev(text)
    assert result == value and type(result) is type(value)


def test_contains_count_counts_distinct_words_found():
    assert ev('contains_count("我们高度重视，认真贯彻，高度重视", params.stock_phrases)') == 2
    assert ev('contains_count("高度重视", ["高度重视", "高度重视", "重视"])') == 2   # duplicate words count once
    assert ev("contains_count(item.minutes, params.stock_phrases)", item={"minutes": None}) == 0
    assert ev('contains_count("", params.stock_phrases)') == 0


# ---------------------------------------------------------------------------------------------
# ratio, arithmetic, dates

@pytest.mark.parametrize(("text", "value"), [
    ("ratio(3, 4)", 0.75), ("ratio(0, 5)", 0.0), ("ratio(3, 0)", None), ("ratio(null, 4)", None), ("ratio(3, null)", None),
    ("ratio(count(meetings where type == \"支委会\"), count(meetings))", 2 / 3),
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("8 / 2 / 2", 2.0), ("7 / 2", 3.5), ("3 / 0", None),
    ("-(2 - 5)", 3), ("abs(2 - 5)", 3), ("abs(null)", None),
    ("members + null", None), ("null * 2", None), ("-party_workers", None),
])
def test_ratio_and_arithmetic(text, value):
    assert ev(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("period.end - 29", D(2025, 12, 2)),                 # "the last 30 days" start here
    ("period.start + 31", D(2025, 2, 1)),
    ("31 + period.start", D(2025, 2, 1)),
    ("period.end - period.start", 364),
    ("period.start - period.end", -364),
    ('item.recorded_on - item.date', 45),
    ("add_years(branch_committee.elected_on, branch_committee.term_years)", D(2025, 3, 10)),
    ("add_years(item.date, 1)", D(2026, 3, 1)),
    ("add_years(null, 1)", None),
    ("period.end - null", None),
])
def test_date_arithmetic(text, value):
    item = {"date": D(2025, 3, 1), "recorded_on": D(2025, 4, 15)}
    assert ev(text, item=item) == value


def test_add_years_on_29_february():
    leap = {"d": D(2024, 2, 29)}
    assert ev("add_years(item.d, 1)", item=leap) == D(2025, 2, 28)
    assert ev("add_years(item.d, 4)", item=leap) == D(2028, 2, 29)
    assert ev("add_years(item.d, -1)", item=leap) == D(2023, 2, 28)
    assert add_years(D(2023, 3, 1), 1) == D(2024, 3, 1)


def test_in_period_includes_both_ends():
    for day, inside in [(D(2024, 12, 31), False), (D(2025, 1, 1), True), (D(2025, 12, 31), True), (D(2026, 1, 1), False)]:
        assert ev("in_period(item.date)", item={"date": day}) is inside
    assert ev("in_period(item.date)", item={"date": None}) is False


# ---------------------------------------------------------------------------------------------
# in / not in

@pytest.mark.parametrize(("text", "value"), [
    ('"支委会" in PARTY_MEETINGS', True), ('"工作例会" in PARTY_MEETINGS', False),
    ('"工作例会" not in PARTY_MEETINGS', True), ('"支委会" not in PARTY_MEETINGS', False),
    ("3 in [1, 2, 3]", True), ("members in [1, 2]", False),
    ('"安全" in "研究安全生产"', True), ('"消防" in "研究安全生产"', False), ('"消防" not in "研究安全生产"', True),
    ('"党建" in meetings.topics', True),       # nested lists flatten: every meeting's topics
    ('"财务" in meetings.topics', False),
    ('"研究三季度安全生产任务分解" in meetings.minutes', True),
    ('"支委会" in meetings.type', True),
    ("null in [1, null]", False), ("null not in [1]", True), ("party_workers in [0, 1]", False),
    ('"a" in assessment.party_score', False),   # null container
])
def test_membership(text, value):
    assert ev(text) is value


# ---------------------------------------------------------------------------------------------
# Null semantics (packs.md): == null tests it, != is true, every other comparison is false

@pytest.mark.parametrize(("text", "value"), [
    ("party_workers == null", True), ("members == null", False), ("null == null", True),
    ("party_workers != null", False), ("members != null", True),
    ("party_workers != 3", True), ("party_workers == 3", False),
    ("party_workers < 3", False), ("party_workers <= 3", False), ("party_workers > 3", False), ("party_workers >= 3", False),
    ("3 > party_workers", False), ("null < null", False),
    ("not (party_workers > 3)", True),               # the comparison is false; its negation is true
    ("party_workers > 3 or members > 3", True),
    ("party_workers > 3 and members > 3", False),
    ('item.secretary_attended != true', True),       # fires for null …
    ('item.secretary_attended == false', False),     # … where == false does not
])
def test_null_semantics(text, value):
    assert ev(text, item={"secretary_attended": None}) is value


def test_compare_and_arithmetic_helpers():
    assert compare("!=", None, None) is False
    assert compare("<", 1, 2) is True
    assert compare("in", "a", Coll.of(["a"])) is True
    assert arithmetic("-", D(2025, 3, 1), D(2025, 2, 1)) == 28
    assert arithmetic("+", 2, D(2025, 2, 27)) == D(2025, 3, 1)
    assert arithmetic("/", 1, 0) is None


def test_truthiness():
    assert [truthy(v) for v in (True, False, None, 1, 0, "x", "")] == [True, False, False, True, False, True, False]


def test_boolean_operators_and_precedence():
    assert ev("not true or true") is True
    assert ev("not (true or true)") is False
    assert ev("true or false and false") is True
    assert ev("(true or false) and false") is False
    assert ev("not null") is True
    assert ev("1 + 2 * 3 == 7 and 10 - 2 - 3 == 5") is True


# ---------------------------------------------------------------------------------------------
# FM01 similarity: normalisation, 3-gram sets, Jaccard

# 40 characters, 38 distinct 3-grams (no 3-gram repeats).
BASE = "传达学习上级党委关于安全生产工作的部署要求研究三季度检修计划明确党员突击队分工表"


def test_normalisation_removes_whitespace_punctuation_and_symbols_but_keeps_digits():
    assert normalise_text("党建 工作，“三会一课”★＋→…\t2025年（第3次）\n") == "党建工作三会一课2025年第3次"
    assert normalise_text("a-b_c.d") == "abcd"
    assert normalise_text("①２３") == "①２３"        # other numbers and full-width digits are kept


def test_trigrams_and_jaccard():
    assert trigrams("abcd") == {"abc", "bcd"}
    assert trigrams("ab") == frozenset()
    assert jaccard(frozenset("ab"), frozenset("bc")) == 1 / 3
    assert jaccard(frozenset(), frozenset()) == 0.0
    assert len(BASE) == 40 and len(trigrams(BASE)) == 38


def test_near_duplicate_minutes():
    # one character changed in the middle: 3 of 38 trigrams differ on each side → 35 / (38 + 38 − 35) = 35/41
    other = BASE[:20] + "改" + BASE[21:]
    assert similarity(BASE, other) == 35 / 41              # 0.8537 ≥ 0.85: similar
    # punctuation and blanks do not change the score
    assert similarity(BASE, "，".join([other[:10], other[10:25], other[25:]]) + "。 ") == 35 / 41


def test_reordered_minutes():
    # halves swapped: 36 shared trigrams (18 inside each half), 2 different junction trigrams per side → 36/40
    swapped = BASE[20:] + BASE[:20]
    assert similarity(BASE, swapped) == 0.9


def test_genuinely_different_minutes():
    assert similarity(BASE, "组织青年员工参加技能比武活动评选岗位能手并表彰先进班组") == 0.0
    # 17 characters, 15 trigrams, sharing 安全生 and 全生产 with BASE: 2 / (38 + 15 − 2) = 2/51
    assert similarity(BASE, "开展安全生产月活动组织消防应急演练") == 2 / 51


def test_short_minutes_are_skipped():
    ten = "研究安全生产工作部署"                   # exactly 10 characters: compared
    assert len(ten) == MIN_SIMILARITY_LENGTH and similarity(ten, ten) == 1.0
    assert similarity("研究安全生产工作。", "研究安全生产工作。") is None   # 8 after normalisation
    assert similarity("研究，安全、生产。工作！部署", BASE) is not None   # punctuation does not count, 10 remain
    assert similarity("", BASE) is None


def _meetings(*rows):
    return {**UNIT, "meetings": [{"id": i, "type": t, "date": D(2025, 3, 1), "minutes": m} for i, t, m in rows]}


def test_similar_pairs_groups_by_type_and_applies_the_threshold():
    near = BASE[:20] + "改" + BASE[21:]
    unit = _meetings(("A", "支委会", BASE), ("B", "支委会", near), ("C", "党课", BASE), ("D", "支委会", "开展安全生产月活动组织消防应急演练"),
                     ("E", "支委会", "短记录。"))
    pairs = ev("similar_pairs(meetings, by: type, field: minutes, min: params.fm01_similarity)", unit)
    assert [(p["a"]["id"], p["b"]["id"], p["score"]) for p in pairs.values()] == [("A", "B", 0.8537)]
    # without `by`, meetings of different types are compared too
    pairs = ev("similar_pairs(meetings, field: minutes, min: 0.85)", unit)
    assert [(p["a"]["id"], p["b"]["id"], p["score"]) for p in pairs.values()] == \
        [("A", "B", 0.8537), ("A", "C", 1.0), ("B", "C", 0.8537)]
    # a stricter threshold drops the near duplicate
    assert len(ev("similar_pairs(meetings, by: type, field: minutes, min: 0.9)", unit)) == 0
    # a filter limits the meetings compared
    pairs = ev('similar_pairs(meetings where id != "B", field: minutes, min: 0.5)', unit)
    assert [(p["a"]["id"], p["b"]["id"]) for p in pairs.values()] == [("A", "C")]


def test_similar_pairs_default_threshold_and_null_group():
    unit = _meetings(("A", "支委会", BASE), ("B", "支委会", BASE[20:] + BASE[:20]))
    unit["meetings"].append({"id": "N", "type": None, "date": D(2025, 3, 1), "minutes": BASE})
    pairs = ev("similar_pairs(meetings, by: type, field: minutes)", unit)   # default min 0.85
    assert [(p["a"]["id"], p["b"]["id"], p["score"]) for p in pairs.values()] == [("A", "B", 0.9)]


def test_count_over_similar_pairs():
    unit = _meetings(("A", "支委会", BASE), ("B", "支委会", BASE), ("C", "支委会", BASE))
    assert ev("count(similar_pairs(meetings, by: type, field: minutes) where score >= 1)", unit) == 3


# ---------------------------------------------------------------------------------------------
# Composite functions over the findings so far

def view() -> FindingsView:
    v = FindingsView()
    v.add("FM03", ("形式化",))
    v.add("RS05", ("责任落实", "形式化"))
    v.add("RS01", ("责任落实",))
    v.add("SY02", ("四同",))
    v.add("FM03", ("形式化",))          # a second finding of a rule changes nothing
    return v


@pytest.mark.parametrize(("text", "value"), [
    ('distinct_rules(tag: "形式化")', 2), ('distinct_rules(tag: "责任落实")', 2), ('distinct_rules(tag: "两张皮")', 0),
    ('distinct_rules(ids: ["SY01", "SY02", "SY03", "SY04"])', 1), ('distinct_rules(ids: ["FM03", "RS05", "X9"])', 2),
    ('fired("RC01")', False), ('fired("RS05")', True),
    ('fired_any("RS*")', True), ('fired_any("RS0?")', True), ('fired_any("RC*")', False), ('fired_any("[FS]*")', True),
    ('fired_any("rs*")', False),         # globs are case-sensitive like rule ids
    ('distinct_rules(tag: "形式化") >= 2 and fired_any("SY*")', True),
    ("fired(item.rule)", True),
])
def test_composite_functions(text, value):
    assert ev(text, findings=view(), item={"rule": "FM03"}) == value


def test_composite_functions_without_findings():
    assert ev('distinct_rules(tag: "形式化")') == 0
    assert ev('fired("FM03")') is False
    assert ev("fired(item.rule)", findings=view(), item={"rule": None}) is False


def test_findings_view_matching_for_evidence():
    v = view()
    assert v.matching("tag", "形式化") == ["FM03", "RS05"]
    assert v.matching("glob", "RS*") == ["RS05", "RS01"]
    assert v.matching("ids", ["SY02", "FM03"]) == ["FM03", "SY02"]
    assert v.matching("id", "RC01") == []
