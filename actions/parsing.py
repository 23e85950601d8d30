"""Pure helpers that read what customers type: order and return numbers, e-mails, items.

Form slots are filled from the whole message while a slot is requested ("it's #10234",
"anna@example.com thanks", "the second one"), so each helper finds the value inside free
text and returns ``None`` when there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Rasa's Python 3.10 imports this module too (the response selectors)
    from store.views import OrderLineView

# Order numbers are 5–6 digits, credit notes carry a "C" prefix (contract: [Cc]?\d{5,6}).
# The look-behind keeps "R-10007" (a return number) and longer digit runs (phone numbers)
# from being read as orders.
_ORDER_NUMBER = re.compile(r"(?<![\w-])([Cc]?\d{5,6})(?![\w-])")
_RETURN_NUMBER = re.compile(r"(?<![\w-])[Rr]-?\s?(\d{4,8})(?!\w)")
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")
_EMAIL_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$", re.IGNORECASE)
_LINE_NUMBER = re.compile(r"\b(?:line|item|number|no\.?|nr\.?|#)\s*(\d{1,2})\b")
_WORD = re.compile(r"[a-z0-9]+")

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
    "fourth": 4, "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6,
    "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9,
    "tenth": 10, "10th": 10, "last": -1,
}  # fmt: skip
# Words that say nothing about which product is meant.
_FILLER = frozenset(
    {
        "a", "an", "the", "one", "ones", "my", "i", "id", "want", "would", "like", "to", "return",
        "returning", "send", "back", "it", "its", "this", "that", "these", "those", "of", "from",
        "in", "on", "order", "item", "items", "thing", "product", "please", "and", "or", "with",
        "for", "me", "is", "was", "are", "were", "which", "just", "only", "bought", "got", "need",
    }
)  # fmt: skip


def as_text(value: Any) -> str:
    """A slot value as stripped text ("" for None); lists (several entities) use the first."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()


def parse_order_number(value: Any) -> str | None:
    """The order number in ``value`` ("#10234", "order no. c536379" -> "C536379"), or None."""
    match = _ORDER_NUMBER.search(as_text(value))
    return match.group(1).upper() if match else None


def parse_return_number(value: Any) -> str | None:
    """The return number in ``value`` ("r-10007", "R 10007" -> "R-10007"), or None."""
    match = _RETURN_NUMBER.search(as_text(value))
    return f"R-{match.group(1)}" if match else None


def parse_email(value: Any) -> str | None:
    """The e-mail address in ``value`` if it is well formed, else None."""
    match = _EMAIL.search(as_text(value))
    if not match:
        return None
    candidate = match.group(0).rstrip(".!?")
    local, _, domain = candidate.partition("@")
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    if not _EMAIL_DOMAIN.match(domain):
        return None
    return f"{local}@{domain.lower()}"


@dataclass(frozen=True)
class LineMatch:
    """Which order line a customer's words name: one ``line``, or several ``candidates``."""

    line: OrderLineView | None
    candidates: tuple[OrderLineView, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """True when the words fit more than one line equally well."""
        return self.line is None and len(self.candidates) > 1


def match_order_line(text: Any, lines: tuple[OrderLineView, ...]) -> LineMatch:
    """The order line ``text`` names: by its title, line number, ordinal or product words."""
    said = as_text(text).casefold()
    if not said or not lines:
        return LineMatch(None)

    bare = said.removeprefix("the ").strip(" .!")
    exact = [ln for ln in lines if ln.title.casefold() == bare]
    if exact:
        return LineMatch(exact[0])

    numbered = _line_number(said, len(lines))
    if numbered is not None:
        return LineMatch(lines[numbered])

    candidates = _best_by_words(said, lines)
    ordinal = _ordinal(said)
    pool = candidates or lines
    if ordinal is not None:
        index = len(pool) - 1 if ordinal == -1 else ordinal - 1
        if 0 <= index < len(pool):
            return LineMatch(pool[index])
    if len(candidates) == 1:
        return LineMatch(candidates[0])
    return LineMatch(None, candidates)


def _line_number(said: str, count: int) -> int | None:
    match = _LINE_NUMBER.search(said)
    if match is None and said.strip(" .!").isdigit():
        number = int(said.strip(" .!"))
    elif match is not None:
        number = int(match.group(1))
    else:
        return None
    return number - 1 if 1 <= number <= count else None


def _ordinal(said: str) -> int | None:
    for word in _WORD.findall(said):
        if word in _ORDINALS:
            return _ORDINALS[word]
    return None


def _stem(word: str) -> str:
    """A crude plural stemmer, applied alike to what was said and to titles."""
    if len(word) > 4 and word.endswith("es"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.casefold().replace("_", " "))}


def _best_by_words(said: str, lines: tuple[OrderLineView, ...]) -> tuple[OrderLineView, ...]:
    raw = _WORD.findall(said.replace("_", " "))
    wanted = {_stem(w) for w in raw if w not in _FILLER and w not in _ORDINALS}
    if not wanted:
        return ()
    scored = []
    for line in lines:
        # A title word counts double: "lamp" should beat a line that is merely "lighting".
        score = 2 * len(wanted & _words(line.title)) + len(wanted & _words(line.category))
        scored.append((score, line))
    best = max(score for score, _ in scored)
    if best == 0:
        return ()
    return tuple(line for score, line in scored if score == best)


# What people say when they give a reason for a return rather than naming an item.
_REASON = re.compile(
    r"\b(?:broken|broke|damaged|faulty|defective|cracked|chipped|scratched|stained|torn|"
    r"ripped|smashed|snapped|dented|leaking|leaks|bent|missing parts?|"
    r"(?:doesn'?t|does not|didn'?t|did not|won'?t|wont) (?:work|fit|turn on|switch on|charge)|"
    r"not working|stopped working|wrong (?:size|colou?r|item|one|thing)|too (?:small|big|large|"
    r"tight|loose|short|long|dark|bright)|changed my mind|change of mind|not as described|"
    r"not what i (?:ordered|expected|wanted)|(?:don'?t|didn'?t|do not|did not) (?:like|want|need)|"
    r"poor quality|bad quality|cheap|arrived late|came late|looks different|no longer need)\b",
    re.IGNORECASE,
)


def looks_like_reason(value: Any) -> bool:
    """Whether ``value`` gives a reason for a return ("it's broken", "too small")."""
    return bool(_REASON.search(as_text(value).replace("’", "'")))


# "Leave it", "forget it", "never mind": the customer drops what the form was doing. The
# `stop` intent's examples say the same; these are the ones that also come wrapped in other
# words ("actually no, leave it") that the classifier may read as `deny` or `inform`.
_LEAVE = re.compile(
    r"\b(?:(?:just |let'?s )?leave (?:it|that)|forget (?:about )?(?:it|that|this|the whole thing)|"
    r"never ?mind|nvm|don'?t bother|skip (?:it|this|that)|drop (?:it|that)|scrap (?:it|that|this)|"
    r"i give up)\b",
    re.IGNORECASE,
)
# Words a question starts with; an auxiliary counts only before its subject ("can I ...",
# "is there ..."), since answers start with one too ("is broken", "does not work").
_QUESTION_WORD = re.compile(r"^(?:what|whats|when|where|which|who|whom|whose|why|how)\b")
_AUXILIARY = re.compile(
    r"^(?:do|does|did|is|are|was|were|am|can|could|will|would|should|shall|may|might|have|has)"
    r"(?:n'?t)? (?:i|you|we|they|it|he|she|there|this|that|these|those|my|your|the|a|an|me)\b"
)
# ... except in an order: "do it", "have a look".
_IMPERATIVE = re.compile(r"^(?:do|have) (?:it|this|that|a|the)\b")
_LEAD_IN = re.compile(r"^(?:(?:and|also|so|oh|ok|okay|btw|but|hey|sorry|um|quick question)[ ,]+)+")


def wants_to_leave(value: Any) -> bool:
    """Whether ``value`` drops what is going on ("actually no, leave it", "forget it")."""
    return bool(_LEAVE.search(as_text(value).replace("’", "'")))


def looks_like_question(value: Any) -> bool:
    """Whether ``value`` is a question: a question mark, or a question's first words."""
    text = as_text(value).casefold().replace("’", "'")
    if "?" in text:
        return True
    text = _LEAD_IN.sub("", text)
    if _IMPERATIVE.match(text):
        return False
    return bool(_QUESTION_WORD.match(text) or _AUXILIARY.match(text))


def carries_order_value(text: str) -> bool:
    """Whether ``text`` holds a well-formed order number or e-mail address."""
    return parse_order_number(text) is not None or parse_email(text) is not None


def could_digress(text: str) -> bool:
    """Whether ``text`` could be a policy question typed while a form waits for an answer:
    a question that carries no order value and no return reason."""
    return (
        looks_like_question(text) and not looks_like_reason(text) and not carries_order_value(text)
    )
