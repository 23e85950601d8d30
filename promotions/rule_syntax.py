"""What the eligibility rule language is made of: its fields, its errors and its syntax tree.

``promotions.rule_parser`` builds the tree from a rule's text; ``promotions.eligibility``
evaluates it. Nodes are small frozen dataclasses that carry the 1-based column they start
at, so a type error found after parsing can still point at the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from promotions.triggers import TRIGGERS

FieldType = Literal["number", "text", "bool"]
FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)


@dataclass(frozen=True)
class FieldSpec:
    """A field rules may use: its type and, when the set is closed, its allowed values."""

    type: FieldType
    doc: str
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field type must be one of {FIELD_TYPES}, got {self.type!r}")


FIELDS: dict[str, FieldSpec] = {
    "segment": FieldSpec("text", "RFM segment from recsys, e.g. 'loyal', 'at risk'"),
    "lifecycle_stage": FieldSpec("text", "lifecycle stage from recsys, e.g. 'new', 'active'"),
    "propensity_band": FieldSpec(
        "text", "30-day purchase propensity band", ("low", "medium", "high")
    ),
    "propensity": FieldSpec("number", "30-day purchase probability, 0..1"),
    "total_spent": FieldSpec("number", "sum of the customer's order totals"),
    "orders_count": FieldSpec("number", "number of orders placed"),
    "days_since_last_order": FieldSpec("number", "days since the last order (missing: none)"),
    "days_since_signup": FieldSpec("number", "days since the account was created"),
    "country": FieldSpec("text", "the customer's country"),
    "consent": FieldSpec("bool", "marketing consent given"),
    "trigger": FieldSpec("text", "the conversation moment", tuple(map(str, TRIGGERS))),
    "channel": FieldSpec("text", "chat channel, e.g. 'web'"),
    "basket_value": FieldSpec("number", "current basket value, when known"),
    "product_category": FieldSpec("text", "category of the product being discussed"),
    "product_price": FieldSpec("number", "price of the product being discussed"),
    "hour": FieldSpec("number", "hour of day of the conversation, 0..23"),
}


class RuleError(ValueError):
    """A rule that does not parse or type-check; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def pointer(self, source: str) -> str:
        """The rule with a caret under the offending column, for a terminal."""
        return f"{source}\n{' ' * (self.column - 1)}^"


# The type of an expression while checking: a field's type, or "none" for the none literal.
ExprType = Literal["number", "text", "bool", "none"]
Comparison = Literal["==", "!=", "<", "<=", ">", ">="]
COMPARISONS: tuple[Comparison, ...] = get_args(Comparison)


@dataclass(frozen=True)
class Constant:
    """A plain value written in the rule: a number, a text, true/false or none."""

    column: int
    value: float | str | bool | None


@dataclass(frozen=True)
class FieldRef:
    """A field of the profile or the context, read by name."""

    column: int
    name: str


@dataclass(frozen=True)
class Compare:
    """``left op right``."""

    column: int
    op: Comparison
    left: Node
    right: Node


@dataclass(frozen=True)
class Membership:
    """``subject in [values]`` (``not in`` when ``negated``); values are case-folded."""

    column: int
    negated: bool
    subject: Node
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Junction:
    """Two or more conditions joined by the same ``and`` / ``or``."""

    column: int
    word: Literal["and", "or"]
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Negation:
    """``not operand``."""

    column: int
    operand: Node


Node = Constant | FieldRef | Compare | Membership | Junction | Negation
