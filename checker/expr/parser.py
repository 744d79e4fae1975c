"""Lexer and recursive-descent parser of the condition language (packs.md); never `eval`.

Grammar (lowest precedence first):

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := additive [("=="|"!="|"<"|"<="|">"|">="|"in"|"not" "in") additive]
    additive   := term (("+"|"-") term)*
    term       := unary (("*"|"/") unary)*
    unary      := "-" unary | postfix
    postfix    := primary ("." NAME)*
    primary    := NUMBER | STRING | "true" | "false" | "null" | "[" [expr ("," expr)*] "]"
                | "(" expr ")" | NAME "(" [arg ("," arg)*] ")" | NAME
    arg        := NAME ":" expr | expr ["where" expr]
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from checker.expr.nodes import Attr, BoolOp, Binary, Call, Compare, Expr, ListLit, Literal, Name, Unary, Where

KEYWORDS = {"and", "or", "not", "in", "where", "true", "false", "null"}


class ExprSyntaxError(Exception):
    """A syntax error at `pos` (0-based offset into the expression text)."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.pos = pos


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is NUM, STR, NAME, KW, OP or EOF."""

    kind: str
    value: object
    pos: int
    end: int


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[^\W\d]\w*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,|:|\.)
""", re.VERBOSE | re.UNICODE)

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens; unknown characters are a syntax error at their offset."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            ch = text[i]
            hint = ""
            if ch in "＝＜＞（），：“”‘’！":
                hint = "（请使用半角符号）"
            elif ch == "=":
                hint = "（比较相等请用 ==）"
            elif ch in "&|":
                hint = "（请使用 and / or）"
            raise ExprSyntaxError(f"无法识别的字符 “{ch}”{hint}", i)
        kind = m.lastgroup
        if kind == "num":
            lit = m.group()
            value: object = float(lit) if any(c in lit for c in ".eE") else int(lit)
            tokens.append(Token("NUM", value, i, m.end()))
        elif kind == "str":
            tokens.append(Token("STR", _unquote(m.group(), i), i, m.end()))
        elif kind == "name":
            word = m.group()
            tokens.append(Token("KW" if word in KEYWORDS else "NAME", word, i, m.end()))
        elif kind == "op":
            tokens.append(Token("OP", m.group(), i, m.end()))
        i = m.end()
    tokens.append(Token("EOF", None, len(text), len(text)))
    return tokens


def _unquote(literal: str, pos: int) -> str:
    body = literal[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise ExprSyntaxError(f"不支持的转义 \\{nxt}", pos + i + 1)
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Parser:
    """Recursive-descent parser producing `nodes` with start/end offsets."""

    def __init__(self, text: str):
        self.text = text
        # An unterminated string would otherwise surface as a confusing "unknown character".
        unclosed = _last_unmatched_quote(text)
        if unclosed is not None:
            raise ExprSyntaxError("字符串缺少结束引号", unclosed)
        self.tokens = tokenize(text)
        self.i = 0

    # -- helpers ------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, value: object = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (value is None or tok.value == value)

    def expect(self, kind: str, value: object, what: str) -> Token:
        if not self.at(kind, value):
            raise ExprSyntaxError(f"此处应为 {what}，实际为 {self.describe(self.tok)}", self.tok.pos)
        return self.advance()

    def describe(self, tok: Token) -> str:
        if tok.kind == "EOF":
            return "表达式结束"
        # the text as written: `.1` after a dot must not show up as the number 0.1
        written = self.text[tok.pos:tok.end]
        if tok.kind == "STR":
            return f"字符串 {written}"
        return f"“{written}”"

    def prev_end(self) -> int:
        return self.tokens[self.i - 1].end if self.i else 0

    # -- grammar -------------------------------------------------------------------------------
    def parse(self) -> Expr:
        if self.at("EOF"):
            raise ExprSyntaxError("条件为空", 0)
        node = self.expr()
        if not self.at("EOF"):
            tok = self.tok
            if tok.kind == "KW" and tok.value == "where":
                raise ExprSyntaxError("where 只能写在 count、sum、any 等函数的第一个参数中，如 count(meetings where type == \"支委会\")",
                                      tok.pos)
            hint = "（多个条件请用 and / or 连接）" if tok.kind in ("NAME", "NUM", "STR") else ""
            raise ExprSyntaxError(f"多余的 {self.describe(tok)}{hint}", tok.pos)
        return node

    def expr(self) -> Expr:
        return self.or_()

    def or_(self) -> Expr:
        start = self.tok.pos
        parts = [self.and_()]
        while self.at("KW", "or"):
            self.advance()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts), start, self.prev_end())

    def and_(self) -> Expr:
        start = self.tok.pos
        parts = [self.not_()]
        while self.at("KW", "and"):
            self.advance()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts), start, self.prev_end())

    def not_(self) -> Expr:
        if self.at("KW", "not"):
            tok = self.advance()
            operand = self.not_()
            return Unary("not", operand, tok.pos, self.prev_end())
        return self.comparison()

    _COMPARE = ("==", "!=", "<", "<=", ">", ">=")

    def comparison(self) -> Expr:
        start = self.tok.pos
        left = self.additive()
        op = None
        if self.tok.kind == "OP" and self.tok.value in self._COMPARE:
            op = self.advance().value
        elif self.at("KW", "in"):
            self.advance()
            op = "in"
        elif self.at("KW", "not") and self.tokens[self.i + 1].kind == "KW" and self.tokens[self.i + 1].value == "in":
            self.i += 2
            op = "not in"
        if op is None:
            return left
        right = self.additive()
        if self.tok.kind == "OP" and self.tok.value in self._COMPARE or self.at("KW", "in"):
            raise ExprSyntaxError("比较不能连写（如 a < b < c），请用 and 连接两个比较", self.tok.pos)
        return Compare(op, left, right, start, self.prev_end())

    def additive(self) -> Expr:
        start = self.tok.pos
        node = self.term()
        while self.tok.kind == "OP" and self.tok.value in ("+", "-"):
            op = self.advance().value
            node = Binary(op, node, self.term(), start, self.prev_end())
        return node

    def term(self) -> Expr:
        start = self.tok.pos
        node = self.unary()
        while self.tok.kind == "OP" and self.tok.value in ("*", "/"):
            op = self.advance().value
            node = Binary(op, node, self.unary(), start, self.prev_end())
        return node

    def unary(self) -> Expr:
        if self.at("OP", "-"):
            tok = self.advance()
            operand = self.unary()
            if isinstance(operand, Literal) and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
                return Literal(-operand.value, tok.pos, self.prev_end())
            return Unary("-", operand, tok.pos, self.prev_end())
        return self.postfix()

    def postfix(self) -> Expr:
        start = self.tok.pos
        node = self.primary()
        while self.at("OP", "."):
            self.advance()
            if self.tok.kind not in ("NAME", "KW"):
                raise ExprSyntaxError(f"“.” 之后应为字段名，实际为 {self.describe(self.tok)}", self.tok.pos)
            name_tok = self.advance()
            node = Attr(node, str(name_tok.value), start, self.prev_end())
        return node

    def primary(self) -> Expr:
        tok = self.tok
        if tok.kind == "NUM":
            self.advance()
            return Literal(tok.value, tok.pos, tok.end)
        if tok.kind == "STR":
            self.advance()
            return Literal(tok.value, tok.pos, tok.end)
        if tok.kind == "KW" and tok.value in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[tok.value], tok.pos, tok.end)
        if self.at("OP", "["):
            self.advance()
            items = []
            if not self.at("OP", "]"):
                items.append(self.expr())
                while self.at("OP", ","):
                    self.advance()
                    items.append(self.expr())
            self.expect("OP", "]", "“]” 或 “,”")
            return ListLit(tuple(items), tok.pos, self.prev_end())
        if self.at("OP", "("):
            self.advance()
            inner = self.expr()
            self.expect("OP", ")", "“)”")
            return inner
        if tok.kind == "NAME":
            self.advance()
            if self.at("OP", "("):
                return self.call(tok)
            return Name(str(tok.value), tok.pos, tok.end)
        if tok.kind == "EOF":
            raise ExprSyntaxError("表达式不完整", tok.pos)
        raise ExprSyntaxError(f"此处不应出现 {self.describe(tok)}", tok.pos)

    def call(self, name_tok: Token) -> Call:
        self.expect("OP", "(", "“(”")
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr, int]] = []
        if not self.at("OP", ")"):
            while True:
                if self.tok.kind == "NAME" and self.tokens[self.i + 1].kind == "OP" and self.tokens[self.i + 1].value == ":":
                    key_tok = self.advance()
                    self.advance()
                    if any(k == key_tok.value for k, _, _ in kwargs):
                        raise ExprSyntaxError(f"参数 {key_tok.value} 重复", key_tok.pos)
                    kwargs.append((str(key_tok.value), self.expr(), key_tok.pos))
                else:
                    if kwargs:
                        raise ExprSyntaxError("位置参数必须写在命名参数之前", self.tok.pos)
                    start = self.tok.pos
                    arg = self.expr()
                    if self.at("KW", "where"):
                        self.advance()
                        flt = self.expr()
                        arg = Where(arg, flt, start, self.prev_end())
                    args.append(arg)
                if self.at("OP", ","):
                    self.advance()
                    continue
                break
        self.expect("OP", ")", "“)” 或 “,”")
        return Call(str(name_tok.value), tuple(args), tuple(kwargs), name_tok.pos, self.prev_end())


def _last_unmatched_quote(text: str) -> int | None:
    inside = None
    start = None
    i = 0
    while i < len(text):
        ch = text[i]
        if inside:
            if ch == "\\":
                i += 2
                continue
            if ch == inside:
                inside = None
        elif ch in "\"'":
            inside = ch
            start = i
        i += 1
    return start if inside else None


def parse(text: str) -> Expr:
    """Parse a condition; raises ExprSyntaxError with the offset of the problem."""
    return Parser(text).parse()
