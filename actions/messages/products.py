"""Answers to follow-up questions about products the assistant just showed.

Each function words one fact the catalogue holds (``store.product_facts.ProductFact``);
when the catalogue holds nothing for what was asked, ``cannot_tell`` says so plainly and
offers the team, rather than guessing.
"""

from __future__ import annotations

from collections.abc import Sequence

from concierge.formatting import join_words, money

WHICH_PRODUCT = "Which product do you mean? I can suggest some if you like."
SUGGEST_SOME = "Suggest some products"
ASK_THE_TEAM = "Yes, ask the team"
WHICH_OF_THEM = "Which one do you mean?"
NO_LONGER_LISTED = (
    "I'm sorry, that product isn't in our catalogue any more. Shall I suggest something similar?"
)


def gone_from_shown(word: str, titles: Sequence[str]) -> str:
    """The customer named a product ("the lamp") that is not among those just shown."""
    return f"I didn't show you a {word} just now — I showed you the {join_words(titles)}."


def details(title: str, description: str) -> str:
    """ "Tell me more": the catalogue's description, or an honest note that it has none."""
    if description.strip():
        return f"The {title}: {description.strip()}"
    return f"Our catalogue has no description for the {title} yet."


def price(title: str, amount: float, currency: str) -> str:
    """How much one product costs now."""
    return f"The {title} is {money(amount, currency)}."


def stock(title: str, count: int) -> str:
    """Whether it can be ordered now; a low count is worth saying, a large one is not."""
    if count <= 0:
        return f"I'm sorry, the {title} is out of stock at the moment."
    if count <= 5:
        return f"Yes, the {title} is in stock — only {count} left."
    return f"Yes, the {title} is in stock."


def colour(title: str, colours: Sequence[str], asked: str | None) -> str:
    """The colours it comes in, answering "does it come in blue" with a yes or a no first."""
    listed = join_words(c.lower() for c in colours)
    if asked is None:
        return f"The {title} comes in {listed}."
    if any(c.lower() == asked.lower() for c in colours):
        return f"Yes, the {title} comes in {asked.lower()}."
    return f"Sorry, the {title} doesn't come in {asked.lower()} — it comes in {listed}."


def colour_unknown(title: str, asked: str | None) -> str:
    """The catalogue lists no colour for it: say so, naming the colour asked about."""
    if asked is None:
        return cannot_tell(title, "colours")
    return (
        f"Our catalogue doesn't say whether the {title} comes in {asked.lower()} — our team "
        "can check, shall I ask them?"
    )


def material(title: str, materials: Sequence[str]) -> str:
    """What it is made of, as the catalogue's title and description name it."""
    return f"The {title} is made of {join_words(materials)}."


def size(title: str, measures: Sequence[str]) -> str:
    """The measurements the catalogue's description gives."""
    return f"The {title} measures {join_words(measures)}."


def cannot_tell(title: str, what: str) -> str:
    """The catalogue holds nothing for the question: say so and offer the team."""
    return (
        f"I don't have the {what} for the {title} in our catalogue — our team can check, "
        "shall I ask them?"
    )
