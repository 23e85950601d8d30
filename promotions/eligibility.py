"""The eligibility rule language: a small, safe expression language over profile and context.

A rule such as ``segment in ['loyal', 'champions'] and days_since_last_order > 30`` is
tokenised, parsed by recursive descent and type-checked against the known fields when a
campaign is saved; nothing is ever handed to ``eval``. A broken rule raises ``RuleError``
naming the column and the problem ("unknown field 'segmnt' at column 1 — did you mean
'segment'?"). Text comparisons ignore case; a condition on a missing value is false (test for one with ``== none``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from promotions.triggers import TRIGGERS


@dataclass(frozen=True)
class FieldSpec:
    """A field rules may use: its type and, when the set is closed, its allowed values."""

    type: str  # "number", "text" or "bool"
    doc: str
    values: tuple[str, ...] = ()


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
    "trigger": FieldSpec("text", "the conversation moment", TRIGGERS),
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


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "none", "null"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # number, string, name, keyword, op, end
    text: str
    column: int
    value: Any = None


def _tokenise(source: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            char, column = source[pos], pos + 1
            if char == "=":
                raise RuleError(f"'=' at column {column} — did you mean '=='?", column)
            if char in "'\"":
                raise RuleError(f"unterminated text starting at column {column}", column)
            if char in "&|":
                word = "and" if char == "&" else "or"
                raise RuleError(f"'{char}' at column {column} — write '{word}'", column)
            raise RuleError(f"unexpected character {char!r} at column {column}", column)
        kind, text = match.lastgroup or "", match.group()
        if kind == "number":
            tokens.append(_Tok("number", text, pos + 1, float(text)))
        elif kind == "string":
            value = re.sub(r"\\(.)", r"\1", text[1:-1])
            tokens.append(_Tok("string", text, pos + 1, value))
        elif kind == "name":
            lowered = text.lower()
            if lowered in _KEYWORDS:
                tokens.append(_Tok("keyword", lowered, pos + 1))
            else:
                tokens.append(_Tok("name", text, pos + 1))
        elif kind == "op":
            tokens.append(_Tok("op", text, pos + 1))
        pos = match.end()
    tokens.append(_Tok("end", "end of rule", len(source) + 1))
    return tokens


# Parsed nodes are plain tuples: (kind, column, ...). Kinds: lit, field, cmp, in, and, or, not.
_Node = tuple


class _Parser:
    """Recursive descent over the token list; each method returns (node, type)."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokenise(source)
        self.i = 0

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, text: str) -> bool:
        tok = self.peek()
        if tok.kind == kind and tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, text: str) -> None:
        tok = self.peek()
        if not self.accept(kind, text):
            raise RuleError(
                f"expected '{text}' at column {tok.column}, found {_shown(tok)}", tok.column
            )

    def parse(self) -> tuple[_Node, str]:
        if self.peek().kind == "end":
            raise RuleError("the rule is empty — write 'true' to make everyone eligible", 1)
        node, typ = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise RuleError(
                f"unexpected {_shown(tok)} at column {tok.column} — "
                "join conditions with 'and' / 'or'",
                tok.column,
            )
        _require_bool(node, typ)
        return node, typ

    def or_expr(self) -> tuple[_Node, str]:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> tuple[_Node, str]:
        return self._chain("and", self.not_expr)

    def _chain(self, word: str, sub: Any) -> tuple[_Node, str]:
        node, typ = sub()
        parts = [node]
        while self.accept("keyword", word):
            _require_bool(node, typ)
            node, typ = sub()
            _require_bool(node, typ)
            parts.append(node)
        if len(parts) == 1:
            return node, typ
        return (word, parts[0][1], tuple(parts)), "bool"

    def not_expr(self) -> tuple[_Node, str]:
        tok = self.peek()
        if self.accept("keyword", "not"):
            node, typ = self.not_expr()
            _require_bool(node, typ)
            return ("not", tok.column, node), "bool"
        return self.comparison()

    def comparison(self) -> tuple[_Node, str]:
        left, ltype = self.operand()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            right, rtype = self.operand()
            _check_compare(tok, left, ltype, right, rtype)
            return ("cmp", tok.column, tok.text, left, right), "bool"
        negate = False
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            negate = True
        if self.accept("keyword", "in"):
            values = self.value_list(left, ltype)
            return ("in", tok.column, negate, left, values), "bool"
        return left, ltype

    def value_list(self, left: _Node, ltype: str) -> tuple[Any, ...]:
        self.expect("op", "[")
        values: list[Any] = []
        while not self.accept("op", "]"):
            if values:
                self.expect("op", ",")
            item, itype = self.operand()
            if item[0] != "lit":
                raise RuleError(
                    f"a list holds plain values; found a field at column {item[1]}", item[1]
                )
            if itype not in (ltype, "none"):
                raise RuleError(
                    f"{_describe(left, ltype)} cannot be in a list holding {_article(itype)} "
                    f"(column {item[1]})",
                    item[1],
                )
            _check_known_value(left, item)
            values.append(_fold(item[2]))
        return tuple(values)

    def operand(self) -> tuple[_Node, str]:
        tok = self.take()
        if tok.kind == "number":
            return ("lit", tok.column, tok.value), "number"
        if tok.kind == "string":
            return ("lit", tok.column, tok.value), "text"
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            return ("lit", tok.column, tok.text == "true"), "bool"
        if tok.kind == "keyword" and tok.text in ("none", "null"):
            return ("lit", tok.column, None), "none"
        if tok.kind == "name":
            spec = FIELDS.get(tok.text)
            if spec is None:
                raise RuleError(_unknown_field_message(tok), tok.column)
            return ("field", tok.column, tok.text), spec.type
        if tok.kind == "op" and tok.text == "(":
            node, typ = self.or_expr()
            self.expect("op", ")")
            return node, typ
        raise RuleError(
            f"expected a field or a value at column {tok.column}, found {_shown(tok)}", tok.column
        )


def _shown(tok: _Tok) -> str:
    return tok.text if tok.kind == "end" else f"'{tok.text}'"


_TYPE_WORD = {"number": "number", "text": "text", "bool": "true/false"}


def _article(typ: str) -> str:
    return {"number": "a number", "text": "text", "bool": "true/false", "none": "none"}[typ]


def _describe(node: _Node, typ: str) -> str:
    if node[0] == "field":
        return f"{_TYPE_WORD[typ]} field '{node[2]}'"
    return _article(typ)


def _unknown_field_message(tok: _Tok) -> str:
    message = f"unknown field '{tok.text}' at column {tok.column}"
    close = difflib.get_close_matches(tok.text, FIELDS, n=1, cutoff=0.6)
    if close:
        return f"{message} — did you mean '{close[0]}'?"
    return f"{message} — known fields: {', '.join(sorted(FIELDS))}"


def _require_bool(node: _Node, typ: str) -> None:
    if typ != "bool":
        what = f"field '{node[2]}'" if node[0] == "field" else "this value"
        raise RuleError(
            f"{what} at column {node[1]} is {_article(typ)}, not a condition — "
            "compare it with something (e.g. ==, >, in)",
            node[1],
        )


def _check_compare(tok: _Tok, left: _Node, ltype: str, right: _Node, rtype: str) -> None:
    if tok.text in ("<", "<=", ">", ">="):
        for node, typ in ((left, ltype), (right, rtype)):
            if typ != "number":
                raise RuleError(
                    f"'{tok.text}' at column {tok.column} compares numbers, "
                    f"but {_describe(node, typ)} is not a number",
                    tok.column,
                )
        return
    if "none" in (ltype, rtype) or ltype == rtype:
        _check_known_value(left, right)
        _check_known_value(right, left)
        return
    raise RuleError(
        f"cannot compare {_describe(left, ltype)} with {_describe(right, rtype)} "
        f"at column {tok.column}",
        tok.column,
    )


def _check_known_value(field: _Node, literal: _Node) -> None:
    if field[0] != "field" or literal[0] != "lit" or not isinstance(literal[2], str):
        return
    allowed = FIELDS[field[2]].values
    if allowed and _fold(literal[2]) not in allowed:
        message = f"unknown value '{literal[2]}' for {field[2]} at column {literal[1]}"
        close = difflib.get_close_matches(_fold(literal[2]), allowed, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise RuleError(f"{message}{hint} (one of: {', '.join(allowed)})", literal[1])


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


_ORDERING = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _evaluate(node: _Node, env: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return _fold(node[2])
    if kind == "field":
        return _fold(env.get(node[2]))
    if kind == "and":
        return all(_evaluate(part, env) for part in node[2])
    if kind == "or":
        return any(_evaluate(part, env) for part in node[2])
    if kind == "not":
        return not _evaluate(node[2], env)
    if kind == "in":
        value = _evaluate(node[3], env)
        if value is None:
            return False
        return (value in node[4]) != node[2]
    _, _, op, left, right = node
    a, b = _evaluate(left, env), _evaluate(right, env)
    if _is_none_literal(left) or _is_none_literal(right):
        missing = a is None and b is None
        return missing if op == "==" else not missing
    if a is None or b is None:
        return False
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    return _ORDERING[op](a, b)


def _is_none_literal(node: _Node) -> bool:
    return node[0] == "lit" and node[2] is None


@dataclass(frozen=True)
class Rule:
    """A parsed, type-checked eligibility rule; ``matches`` evaluates it over field values."""

    source: str
    _tree: _Node

    @classmethod
    def compile(cls, source: str) -> Rule:
        """Parse and type-check ``source``; raises ``RuleError`` pointing at the problem."""
        tree, _ = _Parser(source).parse()
        return cls(source, tree)

    def matches(self, values: Mapping[str, Any]) -> bool:
        """True when the rule holds for ``values`` (field name -> value; absent = none)."""
        return bool(_evaluate(self._tree, values))

    def fields(self) -> frozenset[str]:
        """The field names the rule reads."""
        found: set[str] = set()

        def walk(node: _Node) -> None:
            kind = node[0]
            if kind == "field":
                found.add(node[2])
            elif kind in ("and", "or"):
                for part in node[2]:
                    walk(part)
            elif kind == "not":
                walk(node[2])
            elif kind == "in":
                walk(node[3])
            elif kind == "cmp":
                walk(node[3])
                walk(node[4])

        walk(self._tree)
        return frozenset(found)
