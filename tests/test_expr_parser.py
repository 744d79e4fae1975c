"""The condition language's lexer and parser: every construct, operator precedence, positions and syntax errors."""
from __future__ import annotations

import pytest

from checker.expr.nodes import Attr, BoolOp, Binary, Call, Compare, ListLit, Literal, Name, Unary, Where, source_text
from checker.expr.parser import ExprSyntaxError, parse, tokenize


def sx(node) -> str:
    """A compact s-expression of an AST, so that tree shapes can be asserted in one line."""
    if isinstance(node, Literal):
        return repr(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Attr):
        return f"{sx(node.obj)}.{node.name}"
    if isinstance(node, ListLit):
        return "[" + " ".join(sx(i) for i in node.items) + "]"
    if isinstance(node, Unary):
        return f"({node.op} {sx(node.operand)})"
    if isinstance(node, (Binary, Compare)):
        return f"({node.op} {sx(node.left)} {sx(node.right)})"
    if isinstance(node, BoolOp):
        return f"({node.op} " + " ".join(sx(o) for o in node.operands) + ")"
    if isinstance(node, Where):
        return f"(where {sx(node.source)} {sx(node.filter)})"
    if isinstance(node, Call):
        parts = [sx(a) for a in node.args] + [f"{k}:{sx(v)}" for k, v, _ in node.kwargs]
        return f"{node.func}(" + " ".join(parts) + ")"
    raise AssertionError(node)


def syntax_error(text: str) -> tuple[int, str]:
    with pytest.raises(ExprSyntaxError) as info:
        parse(text)
    return info.value.pos, str(info.value)


# ---------------------------------------------------------------------------------------------
# Literals

@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("42", 42), ("3.5", 3.5), ("0.85", 0.85), (".5", 0.5), ("2.", 2.0), ("1e3", 1000.0), ("2.5E-1", 0.25),
    ("-7", -7), ("-0.2", -0.2),
    ('"支委会"', "支委会"), ("'党建'", "党建"), ('"a\\"b"', 'a"b'), ("'it\\'s'", "it's"), ('"x\\ny"', "x\ny"),
    ('"tab\\there"', "tab\there"), ('"back\\\\slash"', "back\\slash"), ('""', ""),
    ("true", True), ("false", False), ("null", None),
])
def test_literal_values(text, value):
    node = parse(text)
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)


def test_integer_and_float_literals_keep_their_type():
    assert type(parse("3").value) is int
    assert type(parse("3.0").value) is float


def test_negative_number_is_folded_into_a_literal_with_the_sign_position():
    node = parse("  -12")
    assert node == Literal(-12, 2, 5)


def test_minus_before_a_path_stays_a_unary_node():
    node = parse("-members")
    assert isinstance(node, Unary) and node.op == "-" and sx(node) == "(- members)"


# ---------------------------------------------------------------------------------------------
# Lists, names, paths

def test_list_literals():
    assert sx(parse("[]")) == "[]"
    assert sx(parse('["支委会", "党委会"]')) == "['支委会' '党委会']"
    assert sx(parse("[1, 2 + 3, params.x]")) == "[1 (+ 2 3) params.x]"


def test_list_positions_cover_the_brackets():
    node = parse("x in [1, 2]")
    assert isinstance(node.right, ListLit)
    assert (node.right.pos, node.right.end) == (5, 11)


@pytest.mark.parametrize("text", [
    "members", "unit", "item", "parent", "it", "params", "period", "values", "PARTY_MEETINGS", "支委会", "_x1",
])
def test_names(text):
    assert parse(text) == Name(text, 0, len(text))


def test_paths_are_left_nested_attributes_with_positions():
    node = parse("assessment.party_weight")
    assert node == Attr(Name("assessment", 0, 10), "party_weight", 0, 23)
    deep = parse("item.a.id")
    assert sx(deep) == "item.a.id"
    assert isinstance(deep.obj, Attr) and deep.obj.name == "a"


def test_keywords_are_allowed_as_field_names_after_a_dot():
    assert sx(parse("it.in")) == "it.in"
    assert sx(parse("item.null")) == "item.null"


def test_nested_list_paths():
    assert sx(parse("meetings.decisions")) == "meetings.decisions"
    assert sx(parse("plans.items.business_goal")) == "plans.items.business_goal"


def test_attribute_of_a_parenthesised_expression_and_of_a_call():
    assert sx(parse("(item).a")) == "item.a"
    assert sx(parse("add_years(d, 1).year")) == "add_years(d 1).year"


# ---------------------------------------------------------------------------------------------
# Calls

def test_calls_with_positional_and_named_arguments():
    node = parse("similar_pairs(meetings, by: type, field: minutes, min: params.fm01_similarity)")
    assert isinstance(node, Call) and node.func == "similar_pairs"
    assert sx(node) == "similar_pairs(meetings by:type field:minutes min:params.fm01_similarity)"
    assert [k for k, _, _ in node.kwargs] == ["by", "field", "min"]
    assert node.kwargs[0][2] == 24            # offset of the name `by`
    assert sx(node.kwarg("field")) == "minutes"
    assert node.kwarg("nope") is None


def test_call_without_arguments_and_with_only_named_arguments():
    assert sx(parse("f()")) == "f()"
    assert sx(parse('distinct_rules(tag: "形式化")')) == "distinct_rules(tag:'形式化')"
    assert sx(parse('distinct_rules(ids: ["SY01", "SY02"])')) == "distinct_rules(ids:['SY01' 'SY02'])"


def test_where_filter_is_part_of_the_first_argument():
    node = parse('count(meetings where type == "支委会" and in_period(date))')
    assert sx(node) == "count((where meetings (and (== type '支委会') in_period(date))))"
    where = node.args[0]
    assert isinstance(where, Where) and (where.pos, where.end) == (6, 54)


def test_where_on_a_flattened_nested_list_with_parent():
    node = parse('count(plans.items where parent.kind == "党建" and business_goal != null)')
    assert sx(node) == "count((where plans.items (and (== parent.kind '党建') (!= business_goal None))))"


def test_where_with_it_on_a_list_of_plain_values():
    assert sx(parse('count(assessment.methods where it in ["过程提示法"])')) == \
        "count((where assessment.methods (in it ['过程提示法'])))"


def test_nested_calls_and_where_inside_a_named_argument_list():
    node = parse("ratio(count(meetings where in_period(date)), period.months)")
    assert sx(node) == "ratio(count((where meetings in_period(date))) period.months)"


# ---------------------------------------------------------------------------------------------
# Operators and precedence

@pytest.mark.parametrize(("text", "tree"), [
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
    ("8 - 2 - 1", "(- (- 8 2) 1)"),                 # left-associative
    ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
    ("a * b / c", "(/ (* a b) c)"),
    ("- a * b", "(* (- a) b)"),                   # unary minus binds tighter than *
    ("a - -1", "(- a -1)"),
    ("a + b < c * d", "(< (+ a b) (* c d))"),      # arithmetic before comparison
    ("a == b and c != d", "(and (== a b) (!= c d))"),
    ("a or b and c", "(or a (and b c))"),          # and before or
    ("(a or b) and c", "(and (or a b) c)"),
    ("not a and b", "(and (not a) b)"),            # not before and
    ("not a == b", "(not (== a b))"),              # comparison before not
    ("not not a", "(not (not a))"),
    ("a or b or c", "(or a b c)"),                 # flattened
    ("a and b and c or d", "(or (and a b c) d)"),
    ("x in L", "(in x L)"),
    ("x not in L", "(not in x L)"),
    ("not x in L", "(not (in x L))"),
    ("a + 1 in L", "(in (+ a 1) L)"),
    ("d - 29 >= period.end - period.start", "(>= (- d 29) (- period.end period.start))"),
    ("a <= b", "(<= a b)"), ("a >= b", "(>= a b)"), ("a < b", "(< a b)"), ("a > b", "(> a b)"),
])
def test_operator_precedence(text, tree):
    assert sx(parse(text)) == tree


def test_node_positions_span_their_source_text():
    text = 'item.type in PARTY_MEETINGS and  item.expected > 0'
    node = parse(text)
    assert isinstance(node, BoolOp)
    first, second = node.operands
    assert source_text(first, text) == "item.type in PARTY_MEETINGS"
    assert source_text(second, text) == "item.expected > 0"
    assert (second.pos, second.end) == (33, 50)
    assert source_text(node, text) == "item.type in PARTY_MEETINGS and item.expected > 0"   # blanks collapsed


def test_whitespace_and_line_breaks_are_insignificant():
    assert sx(parse("a\n  and\n  b")) == "(and a b)"


def test_chinese_identifiers_and_strings_tokenize():
    kinds = [(t.kind, t.value) for t in tokenize('类型 == "支委会"')]
    assert kinds == [("NAME", "类型"), ("OP", "=="), ("STR", "支委会"), ("EOF", None)]


def test_tokens_carry_offsets():
    toks = tokenize("ab <= 3.5")
    assert [(t.pos, t.end) for t in toks] == [(0, 2), (3, 5), (6, 9), (9, 9)]


# ---------------------------------------------------------------------------------------------
# Syntax errors, each at its exact 0-based offset

@pytest.mark.parametrize(("text", "pos", "fragment"), [
    ("", 0, "条件为空"),
    ("   ", 0, "条件为空"),
    ("a +", 3, "表达式不完整"),
    ("not", 3, "表达式不完整"),
    ("(a", 2, "应为 “)”"),
    ("a b", 2, "多余的 “b”（多个条件请用 and / or 连接）"),
    ('a "x"', 2, '多余的 字符串 "x"'),
    ("a.1", 1, "多余的 “.1”"),
    ("a = 1", 2, "比较相等请用 =="),
    ("a ＝ 1", 2, "请使用半角符号"),
    ("count（meetings）", 5, "请使用半角符号"),
    ("a && b", 2, "请使用 and / or"),
    ("a || b", 2, "请使用 and / or"),
    ("a ; b", 2, "无法识别的字符 “;”"),
    ("[1, 2", 5, "应为 “]” 或 “,”"),
    ("[1, 2,]", 6, "此处不应出现 “]”"),
    ("f(a, b: 1, c)", 11, "位置参数必须写在命名参数之前"),
    ("f(b: 1, b: 2)", 8, "参数 b 重复"),
    ("f(a", 3, "应为 “)” 或 “,”"),
    ("a < b < c", 6, "比较不能连写"),
    ("a == b in c", 7, "比较不能连写"),
    ("a.", 2, "“.” 之后应为字段名"),
    ("a.(b)", 2, "“.” 之后应为字段名"),
    (")", 0, "此处不应出现 “)”"),
    ("a in in b", 5, "此处不应出现 “in”"),
    ("count(meetings where)", 20, "此处不应出现 “)”"),
    ('meetings where type == "支委会"', 9, "where 只能写在 count、sum、any 等函数的第一个参数中"),
    ('"abc', 0, "字符串缺少结束引号"),
    ('x == "ab\\"', 5, "字符串缺少结束引号"),
    ('"a\\q"', 2, "不支持的转义 \\q"),
    ("x == 'a' and y == 'b", 18, "字符串缺少结束引号"),
])
def test_syntax_errors_with_offsets(text, pos, fragment):
    got_pos, message = syntax_error(text)
    assert fragment in message
    assert got_pos == pos


def test_syntax_error_is_never_a_python_exception_for_odd_input():
    for text in ["((((", "]]", "f(,)", "1 2 3", "a..b", "not in", "@", "a where b where c", "-", "[,]"]:
        with pytest.raises(ExprSyntaxError):
            parse(text)
