"""The eligibility rule language: a small, safe expression language over profile and context.

A rule such as ``segment in ['loyal', 'champions'] and days_since_last_order > 30`` is
parsed and type-checked against the known fields when a campaign is saved
(``promotions.rule_parser``); nothing is ever handed to ``eval``. A broken rule raises
``RuleError`` naming the column and the problem ("unknown field 'segmnt' at column 1 — did
you mean 'segment'?"). Text comparisons ignore case; a condition on a missing value is
false (test for one with ``== none``). This module evaluates the parsed tree.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from promotions.rule_parser import MAX_NESTING, fold, parse
from promotions.rule_syntax import (
    FIELDS,
    Compare,
    Constant,
    FieldRef,
    FieldSpec,
    Junction,
    Membership,
    Negation,
    Node,
    RuleError,
)

__all__ = ["FIELDS", "MAX_NESTING", "FieldSpec", "Rule", "RuleError"]

_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _evaluate(node: Node, env: Mapping[str, Any]) -> Any:
    match node:
        case Constant(value=value):
            return fold(value)
        case FieldRef(name=name):
            return fold(env.get(name))
        case Junction(word="and", parts=parts):
            return all(_evaluate(part, env) for part in parts)
        case Junction(parts=parts):
            return any(_evaluate(part, env) for part in parts)
        case Negation(operand=operand):
            return not _evaluate(operand, env)
        case Membership(negated=negated, subject=subject, values=values):
            value = _evaluate(subject, env)
            if value is None:
                return False
            return (value in values) != negated
        case Compare():
            return _compare(node, env)
    raise TypeError(f"not a rule node: {node!r}")


def _compare(node: Compare, env: Mapping[str, Any]) -> bool:
    a, b = _evaluate(node.left, env), _evaluate(node.right, env)
    if _is_none_constant(node.left) or _is_none_constant(node.right):
        missing = a is None and b is None
        return missing if node.op == "==" else not missing
    if a is None or b is None:
        return False
    if node.op == "==":
        return bool(a == b)
    if node.op == "!=":
        return bool(a != b)
    return _ORDERING[node.op](a, b)


def _is_none_constant(node: Node) -> bool:
    return isinstance(node, Constant) and node.value is None


def _fields_of(node: Node) -> set[str]:
    match node:
        case FieldRef(name=name):
            return {name}
        case Junction(parts=parts):
            return set().union(*(_fields_of(part) for part in parts))
        case Negation(operand=operand):
            return _fields_of(operand)
        case Membership(subject=subject):
            return _fields_of(subject)
        case Compare(left=left, right=right):
            return _fields_of(left) | _fields_of(right)
    return set()


@dataclass(frozen=True)
class Rule:
    """A parsed, type-checked eligibility rule; ``matches`` evaluates it over field values."""

    source: str
    _tree: Node

    @classmethod
    def compile(cls, source: str) -> Rule:
        """Parse and type-check ``source``; raises ``RuleError`` pointing at the problem."""
        return cls(source, parse(source))

    def matches(self, values: Mapping[str, Any]) -> bool:
        """True when the rule holds for ``values`` (field name -> value; absent = none)."""
        return bool(_evaluate(self._tree, values))

    def fields(self) -> frozenset[str]:
        """The field names the rule reads."""
        return frozenset(_fields_of(self._tree))
