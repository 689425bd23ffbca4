"""The safe expression language used by derived scores."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from stagewise.core.instruments.expressions import ExpressionError, compile_expression


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("c + a + m - pc", {"c": 3, "a": 4, "m": 2, "pc": 1}, 8),
        ("-pc + 2 * (a - 1)", {"pc": 1, "a": 4}, 5),
        ("a / 4", {"a": 2}, 0.5),
        ("--a", {"a": 2}, 2),
        ("min(a, b, 7)", {"a": 9, "b": 8}, 7),
        ("max(a, b)", {"a": 9, "b": 8}, 9),
        ("sum(a, b, 1)", {"a": 2, "b": 3}, 6),
        ("mean(a, b)", {"a": 2, "b": 3}, 2.5),
        ("round(a / 3, 2)", {"a": 10}, 3.33),
        ("round(a)", {"a": 2.6}, 3),
        ("1.5 * a", {"a": 2}, 3.0),
    ],
)
def test_evaluates(text: str, env: dict[str, float], expected: float) -> None:
    assert compile_expression(text).evaluate(env) == expected


def test_missing_operand_or_division_by_zero_gives_none() -> None:
    expr = compile_expression("a + b")
    assert expr.evaluate({"a": 1, "b": None}) is None
    assert expr.evaluate({"a": 1}) is None
    assert compile_expression("a / b").evaluate({"a": 1, "b": 0}) is None
    assert compile_expression("max(a, b)").evaluate({"a": None, "b": 3}) is None


def test_names_and_intervals() -> None:
    expr = compile_expression("c + a + m - pc")
    assert expr.names == frozenset({"c", "a", "m", "pc"})
    assert expr.interval({n: (1.0, 5.0) for n in expr.names}) == (-2.0, 14.0)  # URICA readiness (HABITS Lab)
    assert compile_expression("a * b").interval({"a": (-1.0, 2.0), "b": (3.0, 4.0)}) == (-4.0, 8.0)
    assert compile_expression("-a").interval({"a": (1.0, 5.0)}) == (-5.0, -1.0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("a +", "ends too early"),
        ("(a", "expected ')'"),
        ("a b", "unexpected 'b'"),
        ("__import__('os')", "unexpected character"),
        ("a.real", "unexpected character '.'"),
        ("a ** 2", "unexpected '*'"),
        ("exp(a)", "unknown function 'exp'"),
        ("min", "needs parentheses"),
        ("round(a, 1, 2)", "one or two arguments"),
        ("a; b", "unexpected character ';'"),
        ("x" * 501, "longer than 500"),
        ("-" * 60 + "a", "nested too deeply"),
        ("(" * 60 + "a" + ")" * 60, "nested too deeply"),
    ],
)
def test_rejects_with_reason(text: str, fragment: str) -> None:
    with pytest.raises(
        ExpressionError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")
    ):
        compile_expression(text)


def test_unknown_names_are_refused_when_known_set_given() -> None:
    with pytest.raises(ExpressionError, match="unknown score name"):
        compile_expression("a + zz", frozenset({"a"}))


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        expr = compile_expression(text)
    except ExpressionError:
        return
    env = {name: 1 for name in expr.names}
    value = expr.evaluate(env)
    assert value is None or isinstance(value, int | float)


def test_round_digits_must_be_a_literal() -> None:
    with pytest.raises(ExpressionError, match="whole number"):
        compile_expression("round(a, b)")
    with pytest.raises(ExpressionError, match="whole number"):
        compile_expression("round(a, 1.5)")
