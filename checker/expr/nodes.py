"""AST nodes of the condition language; `pos`/`end` are 0-based character offsets into the source text."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Literal:
    """A number, string, boolean or null written in the condition."""

    value: Any
    pos: int
    end: int = -1


@dataclass(frozen=True)
class ListLit:
    """A list literal `[a, b, …]`."""

    items: tuple["Expr", ...]
    pos: int
    end: int = -1


@dataclass(frozen=True)
class Name:
    """A bare identifier: a reserved root, a constant, or a field of the current scope."""

    name: str
    pos: int
    end: int = -1


@dataclass(frozen=True)
class Attr:
    """`obj.name`: a field of a record, or a projection/flattening over a list."""

    obj: "Expr"
    name: str
    pos: int
    end: int = -1


@dataclass(frozen=True)
class Where:
    """`source where filter`: a filtered list, allowed as the first argument of an aggregate."""

    source: "Expr"
    filter: "Expr"
    pos: int
    end: int = -1


@dataclass(frozen=True)
class Call:
    """`func(args…, name: value…)`."""

    func: str
    args: tuple["Expr", ...]
    kwargs: tuple[tuple[str, "Expr", int], ...]
    pos: int
    end: int = -1

    def kwarg(self, name: str) -> "Expr | None":
        """The named argument `name`, or None."""
        for key, value, _ in self.kwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Unary:
    """`-x` or `not x`."""

    op: str
    operand: "Expr"
    pos: int
    end: int = -1


@dataclass(frozen=True)
class Binary:
    """Arithmetic `+ - * /`."""

    op: str
    left: "Expr"
    right: "Expr"
    pos: int
    end: int = -1


@dataclass(frozen=True)
class Compare:
    """`== != < <= > >= in not_in` (not chained)."""

    op: str
    left: "Expr"
    right: "Expr"
    pos: int
    end: int = -1


@dataclass(frozen=True)
class BoolOp:
    """`and` / `or` over two or more operands."""

    op: str
    operands: tuple["Expr", ...]
    pos: int
    end: int = -1


Expr = Union[Literal, ListLit, Name, Attr, Where, Call, Unary, Binary, Compare, BoolOp]


def source_text(node: Expr, text: str) -> str:
    """The slice of `text` a node was parsed from (for messages and evidence labels)."""
    end = node.end if node.end >= 0 else len(text)
    return " ".join(text[node.pos:end].split())
