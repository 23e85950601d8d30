"""Reading a rule's text into its syntax tree, type-checking as it goes.

The rule is tokenised, parsed by recursive descent and type-checked against
``rule_syntax.FIELDS``; nothing is ever handed to ``eval``. Every problem raises
``RuleError`` naming the column and what to write instead. Nesting (parentheses and
``not``) is bounded by ``MAX_NESTING``: the parser recurses once per level, and a rule
nested hundreds deep must get the language's own error, not Python's ``RecursionError``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from promotions.rule_syntax import (
    COMPARISONS,
    FIELDS,
    Compare,
    Constant,
    ExprType,
    FieldRef,
    Junction,
    Membership,
    Negation,
    Node,
    RuleError,
)

# Far deeper than any rule a person writes, far shallower than Python's recursion limit.
MAX_NESTING = 50

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


Typed = tuple[Node, ExprType]


def parse(source: str) -> Node:
    """The type-checked syntax tree of ``source``; raises ``RuleError`` at the first problem."""
    return _Parser(source).parse()


class _Parser:
    """Recursive descent over the token list; each method returns (node, type)."""

    def __init__(self, source: str) -> None:
        self.tokens = _tokenise(source)
        self.i = 0
        self.depth = 0

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

    def nested(self, tok: _Tok, inner: Callable[[], Typed]) -> Typed:
        """Parse one level deeper (after '(' or 'not'), refusing rules nested too deeply."""
        if self.depth >= MAX_NESTING:
            raise RuleError(
                f"the rule is nested too deeply at column {tok.column} (more than "
                f"{MAX_NESTING} parentheses or 'not's inside each other) — simplify it",
                tok.column,
            )
        self.depth += 1
        try:
            return inner()
        finally:
            self.depth -= 1

    def parse(self) -> Node:
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
        return node

    def or_expr(self) -> Typed:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Typed:
        return self._chain("and", self.not_expr)

    def _chain(self, word: Literal["and", "or"], sub: Callable[[], Typed]) -> Typed:
        node, typ = sub()
        parts = [node]
        while self.accept("keyword", word):
            _require_bool(node, typ)
            node, typ = sub()
            _require_bool(node, typ)
            parts.append(node)
        if len(parts) == 1:
            return node, typ
        return Junction(parts[0].column, word, tuple(parts)), "bool"

    def not_expr(self) -> Typed:
        tok = self.peek()
        if self.accept("keyword", "not"):
            node, typ = self.nested(tok, self.not_expr)
            _require_bool(node, typ)
            return Negation(tok.column, node), "bool"
        return self.comparison()

    def comparison(self) -> Typed:
        left, ltype = self.operand()
        tok = self.peek()
        if tok.kind == "op" and tok.text in COMPARISONS:
            self.take()
            right, rtype = self.operand()
            _check_compare(tok, left, ltype, right, rtype)
            return Compare(tok.column, tok.text, left, right), "bool"
        negate = False
        if tok.kind == "keyword" and tok.text == "not" and self.tokens[self.i + 1].text == "in":
            self.take()
            negate = True
        if self.accept("keyword", "in"):
            values = self.value_list(left, ltype)
            return Membership(tok.column, negate, left, values), "bool"
        return left, ltype

    def value_list(self, left: Node, ltype: ExprType) -> tuple[Any, ...]:
        self.expect("op", "[")
        values: list[Any] = []
        while not self.accept("op", "]"):
            if values:
                self.expect("op", ",")
            item, itype = self.operand()
            if not isinstance(item, Constant):
                raise RuleError(
                    f"a list holds plain values; found a field at column {item.column}",
                    item.column,
                )
            if itype not in (ltype, "none"):
                raise RuleError(
                    f"{_describe(left, ltype)} cannot be in a list holding {_article(itype)} "
                    f"(column {item.column})",
                    item.column,
                )
            _check_known_value(left, item)
            values.append(fold(item.value))
        return tuple(values)

    def operand(self) -> Typed:
        tok = self.take()
        if tok.kind == "number":
            return Constant(tok.column, tok.value), "number"
        if tok.kind == "string":
            return Constant(tok.column, tok.value), "text"
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            return Constant(tok.column, tok.text == "true"), "bool"
        if tok.kind == "keyword" and tok.text in ("none", "null"):
            return Constant(tok.column, None), "none"
        if tok.kind == "name":
            spec = FIELDS.get(tok.text)
            if spec is None:
                raise RuleError(_unknown_field_message(tok), tok.column)
            return FieldRef(tok.column, tok.text), spec.type
        if tok.kind == "op" and tok.text == "(":
            node, typ = self.nested(tok, self.or_expr)
            self.expect("op", ")")
            return node, typ
        raise RuleError(
            f"expected a field or a value at column {tok.column}, found {_shown(tok)}", tok.column
        )


def fold(value: Any) -> Any:
    """Text case-folded (rules compare text ignoring case); other values unchanged."""
    return value.casefold() if isinstance(value, str) else value


def _shown(tok: _Tok) -> str:
    return tok.text if tok.kind == "end" else f"'{tok.text}'"


_TYPE_WORD = {"number": "number", "text": "text", "bool": "true/false"}


def _article(typ: ExprType) -> str:
    return {"number": "a number", "text": "text", "bool": "true/false", "none": "none"}[typ]


def _describe(node: Node, typ: ExprType) -> str:
    if isinstance(node, FieldRef):
        return f"{_TYPE_WORD[typ]} field '{node.name}'"
    return _article(typ)


def _unknown_field_message(tok: _Tok) -> str:
    message = f"unknown field '{tok.text}' at column {tok.column}"
    close = difflib.get_close_matches(tok.text, FIELDS, n=1, cutoff=0.6)
    if close:
        return f"{message} — did you mean '{close[0]}'?"
    return f"{message} — known fields: {', '.join(sorted(FIELDS))}"


def _require_bool(node: Node, typ: ExprType) -> None:
    if typ != "bool":
        what = f"field '{node.name}'" if isinstance(node, FieldRef) else "this value"
        raise RuleError(
            f"{what} at column {node.column} is {_article(typ)}, not a condition — "
            "compare it with something (e.g. ==, >, in)",
            node.column,
        )


def _check_compare(tok: _Tok, left: Node, ltype: ExprType, right: Node, rtype: ExprType) -> None:
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


def _check_known_value(field: Node, literal: Node) -> None:
    if not isinstance(field, FieldRef) or not isinstance(literal, Constant):
        return
    if not isinstance(literal.value, str):
        return
    allowed = FIELDS[field.name].values
    if allowed and fold(literal.value) not in allowed:
        message = f"unknown value '{literal.value}' for {field.name} at column {literal.column}"
        close = difflib.get_close_matches(fold(literal.value), allowed, n=1, cutoff=0.5)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise RuleError(f"{message}{hint} (one of: {', '.join(allowed)})", literal.column)
