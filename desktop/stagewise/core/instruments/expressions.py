"""A tiny, safe expression language for derived scores in instrument files.

Grammar (no ``eval``, no attribute access, no names beyond the form's own scores)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Functions: ``min``, ``max``, ``sum``, ``mean``, ``round`` (``round(x)`` or ``round(x, digits)``).

An expression is compiled once, when the form is loaded, into a closure; evaluating it is a chain of
plain function calls.  Any missing (``None``) operand makes the whole result ``None`` — a derived score
is never computed from a partial set of scores.  Dividing by zero also yields ``None``.

Each expression can also be evaluated over intervals (:meth:`Expression.interval`), which is how a
form's derived scores get their theoretical range (e.g. URICA readiness −2…14, HABITS Lab).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Number = int | float
Env = Mapping[str, Number | None]
Interval = tuple[float, float]

FUNCTIONS = ("min", "max", "sum", "mean", "round")
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\S))")


class ExpressionError(ValueError):
    """The expression text is not valid; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled expression.

    Attributes:
        text: the source text.
        names: every score name the expression reads.
    """

    text: str
    names: frozenset[str]
    _value: Callable[[Env], Number | None]
    _interval: Callable[[Mapping[str, Interval]], Interval]

    def evaluate(self, env: Env) -> Number | None:
        """The value for ``env`` (score name → number or None); None if any operand is None."""
        return self._value(env)

    def interval(self, ranges: Mapping[str, Interval]) -> Interval:
        """The (min, max) the expression can take when each name lies in its range."""
        return self._interval(ranges)


def compile_expression(text: str, known: frozenset[str] | None = None) -> Expression:
    """Parse and compile ``text``.

    Args:
        text: the expression, e.g. ``"contemplation + action + maintenance - precontemplation"``.
        known: if given, every name used must be in it.

    Raises:
        ExpressionError: the text is not a valid expression or uses an unknown name.
    """
    parser = _Parser(text)
    node = parser.parse()
    if known is not None:
        unknown = sorted(parser.names - known)
        if unknown:
            raise ExpressionError(
                f"unknown score name(s) {', '.join(unknown)} in {text!r}; known: {', '.join(sorted(known))}"
            )
    return Expression(text, frozenset(parser.names), node[0], node[1])


# --- compiled node constructors -------------------------------------------------------------------

_Node = tuple[Callable[[Env], Number | None], Callable[[Mapping[str, Interval]], Interval]]


def _const(value: Number) -> _Node:
    return (lambda env: value), (lambda r: (float(value), float(value)))


def _name(name: str) -> _Node:
    def value(env: Env) -> Number | None:
        return env.get(name)

    def interval(ranges: Mapping[str, Interval]) -> Interval:
        return ranges[name]

    return value, interval


def _neg(a: _Node) -> _Node:
    fa, ia = a

    def value(env: Env) -> Number | None:
        x = fa(env)
        return None if x is None else -x

    def interval(r: Mapping[str, Interval]) -> Interval:
        lo, hi = ia(r)
        return -hi, -lo

    return value, interval


def _binary(op: str, a: _Node, b: _Node) -> _Node:
    fa, ia = a
    fb, ib = b

    def value(env: Env) -> Number | None:
        x = fa(env)
        y = fb(env)
        if x is None or y is None:
            return None
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if y == 0:
            return None
        return x / y

    def interval(r: Mapping[str, Interval]) -> Interval:
        (alo, ahi), (blo, bhi) = ia(r), ib(r)
        if op == "+":
            return alo + blo, ahi + bhi
        if op == "-":
            return alo - bhi, ahi - blo
        if op == "/":
            if blo <= 0 <= bhi:
                return -math.inf, math.inf
            blo, bhi = 1 / bhi, 1 / blo
        products = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
        return min(products), max(products)

    return value, interval


def _call(name: str, args: list[_Node]) -> _Node:
    fns = [a[0] for a in args]
    ivs = [a[1] for a in args]
    if name == "round":
        if len(args) not in (1, 2):
            raise ExpressionError("round() takes one or two arguments")
        return _round(args)

    def value(env: Env) -> Number | None:
        xs = [f(env) for f in fns]
        if any(x is None for x in xs):
            return None
        nums = [x for x in xs if x is not None]
        if name == "min":
            return min(nums)
        if name == "max":
            return max(nums)
        total = sum(nums)
        return total if name == "sum" else total / len(nums)

    def interval(r: Mapping[str, Interval]) -> Interval:
        spans = [i(r) for i in ivs]
        los = [s[0] for s in spans]
        his = [s[1] for s in spans]
        if name == "min":
            return min(los), min(his)
        if name == "max":
            return max(los), max(his)
        if name == "sum":
            return sum(los), sum(his)
        return sum(los) / len(los), sum(his) / len(his)

    return value, interval


def _round(args: list[_Node]) -> _Node:
    fx, ix = args[0]
    digits = 0
    if len(args) == 2:  # the digits must be a literal whole number, fixed when the file is loaded
        d = args[1][0]({})
        if d is None or d != int(d):
            raise ExpressionError("round(): the number of digits must be a whole number")
        digits = int(d)

    def value(env: Env) -> Number | None:
        x = fx(env)
        return None if x is None else round(x, digits)

    def interval(r: Mapping[str, Interval]) -> Interval:
        lo, hi = ix(r)
        return round(lo, digits), round(hi, digits)

    return value, interval


class _Parser:
    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ExpressionError("the expression is empty")
        if len(text) > 500:
            raise ExpressionError("the expression is longer than 500 characters")
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None:  # only trailing whitespace is left
                break
            number, name, other = match.groups()
            start = match.start(match.lastindex or 0)
            if number is not None:
                self.tokens.append(("num", number, start))
            elif name is not None:
                self.tokens.append(("name", name, start))
            elif other is not None:
                if other not in "+-*/(),":
                    raise ExpressionError(
                        f"unexpected character {other!r} at position {start + 1} in {text!r}"
                    )
                self.tokens.append(("op", other, start))
            pos = match.end()
        self.pos = 0
        self.depth = 0
        self.names: set[str] = set()

    def parse(self) -> _Node:
        node = self._expr()
        if self.pos < len(self.tokens):
            _, tok, at = self.tokens[self.pos]
            raise ExpressionError(f"unexpected {tok!r} at position {at + 1} in {self.text!r}")
        return node

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take_op(self, ops: str) -> str | None:
        tok = self._peek()
        if tok is not None and tok[0] == "op" and tok[1] in ops:
            self.pos += 1
            return tok[1]
        return None

    def _expect(self, op: str) -> None:
        if self._take_op(op) is None:
            tok = self._peek()
            where = f"{tok[1]!r} at position {tok[2] + 1}" if tok else "the end"
            raise ExpressionError(f"expected {op!r} but found {where} in {self.text!r}")

    def _expr(self) -> _Node:
        self.depth += 1
        if self.depth > 50:
            raise ExpressionError(f"the expression {self.text!r} is nested too deeply")
        node = self._term()
        while (op := self._take_op("+-")) is not None:
            node = _binary(op, node, self._term())
        self.depth -= 1
        return node

    def _term(self) -> _Node:
        node = self._unary()
        while (op := self._take_op("*/")) is not None:
            node = _binary(op, node, self._unary())
        return node

    def _unary(self) -> _Node:
        if self._take_op("-") is not None:
            self.depth += 1
            if self.depth > 50:
                raise ExpressionError(f"the expression {self.text!r} is nested too deeply")
            node = _neg(self._unary())
            self.depth -= 1
            return node
        return self._atom()

    def _atom(self) -> _Node:
        tok = self._peek()
        if tok is None:
            raise ExpressionError(f"the expression {self.text!r} ends too early")
        kind, value, at = tok
        if kind == "num":
            self.pos += 1
            return _const(float(value) if "." in value else int(value))
        if kind == "name":
            self.pos += 1
            if self._take_op("(") is not None:
                if value not in FUNCTIONS:
                    raise ExpressionError(
                        f"unknown function {value!r} in {self.text!r}; allowed: {', '.join(FUNCTIONS)}"
                    )
                args = [self._expr()]
                while self._take_op(",") is not None:
                    args.append(self._expr())
                self._expect(")")
                return _call(value, args)
            if value in FUNCTIONS:
                raise ExpressionError(f"{value!r} is a function and needs parentheses in {self.text!r}")
            self.names.add(value)
            return _name(value)
        if value == "(":
            self.pos += 1
            node = self._expr()
            self._expect(")")
            return node
        raise ExpressionError(f"unexpected {value!r} at position {at + 1} in {self.text!r}")
