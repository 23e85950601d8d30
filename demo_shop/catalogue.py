"""The demo shop's product catalogue: products, prices, stock and planted bundles.

``build_catalogue`` turns the vocabulary (``demo_shop.vocabulary``) into ~300 real-sounding
products across ten categories. Some products come in matching sets ("bundles": a lamp
base, its shade and a bulb of one collection) that the order generator buys together, so a
recommender has co-purchase structure to learn. Everything is drawn from the
``random.Random`` passed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from demo_shop.vocabulary import (
    BUNDLES,
    CATEGORIES,
    COLLECTIONS,
    COLOURED_NOUNS,
    COLOURS,
    KINDS,
    MATERIAL_COLOUR,
    SKU_PREFIX,
    UNCOLOURED_WORDS,
)


@dataclass(frozen=True)
class ProductSpec:
    """One catalogue entry before it becomes a database row."""

    sku: str
    title: str
    description: str
    category: str
    colour: str | None
    price: float
    stock: int
    age_days: float  # how long before ``now`` the product was listed
    popularity: float  # relative weight among the products of its category
    bundle: int | None  # index into ``Catalogue.bundles``


@dataclass(frozen=True)
class Catalogue:
    """The products, and the planted bundles as tuples of product indexes."""

    products: tuple[ProductSpec, ...]
    bundles: tuple[tuple[int, ...], ...]

    def bundle_skus(self) -> list[list[str]]:
        """The planted bundles by SKU, anchor first."""
        return [[self.products[i].sku for i in bundle] for bundle in self.bundles]


def shop_price(rng: random.Random, low: float, high: float) -> float:
    """A log-uniform price in [low, high] with a shop-like ending (.99, .95, .50, .00)."""
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    pounds = max(1, int(raw))
    return round(pounds + rng.choice((0.99, 0.99, 0.95, 0.5, 0.0)), 2)


def _stock(rng: random.Random) -> int:
    if rng.random() < 0.07:  # about one product in fourteen is out of stock
        return 0
    return min(400, int(rng.lognormvariate(3.4, 0.9)) + 1)


def _colour_for(rng: random.Random, noun: str, material: str) -> str | None:
    if material in MATERIAL_COLOUR:
        return MATERIAL_COLOUR[material]
    return rng.choice(COLOURS) if noun in COLOURED_NOUNS else None


def _lower(words: str) -> str:
    """Lower-case a material for a sentence, keeping codes such as "A5" as they are."""
    return " ".join(w if w[:1].isupper() and w[1:2].isdigit() else w.lower() for w in words.split())


def _generic_product(
    rng: random.Random, category: str, taken: set[str]
) -> tuple[str, str, str | None, float]:
    """Title, description, colour and price of one non-bundle product of ``category``."""
    for _ in range(200):
        noun, low, high, materials, features, use = rng.choice(KINDS[category])
        material = rng.choice(materials)
        colour = _colour_for(rng, noun, material)
        free_colour = colour is not None and material not in MATERIAL_COLOUR
        feature = rng.choice(features)
        form = rng.random()
        if form < 0.4:
            title = (
                f"{material} {noun} {feature}"
                if feature.startswith("with")
                else (f"{material} {noun}, {feature}")
            )
        elif form < 0.7 and free_colour:
            title = f"{colour} {material} {noun}"
        else:
            title = f"{material} {noun}"
        if title in taken:
            continue
        taken.add(title)
        detail = f" {feature.lower()}" if feature.startswith("with") else ""
        colour_text = f" in {colour.lower()}" if free_colour and colour else ""
        what = f"{_lower(material)} {noun.lower()}{colour_text}{detail}"
        if noun.endswith("s"):  # "Rose gold stud earrings.", not "A rose gold ..."
            sentence = what[0].upper() + what[1:]
        else:
            sentence = f"{'An' if material[0] in 'AEIOU' else 'A'} {what}"
        description = f"{sentence}. {use}"
        return title, description, colour, shop_price(rng, low, high)
    raise RuntimeError(f"ran out of distinct {category} titles; widen KINDS[{category!r}]")


def build_catalogue(rng: random.Random, size: int = 300) -> Catalogue:
    """``size`` products with bundles planted among them (a few more if ``size`` < 60)."""
    collections = list(COLLECTIONS)
    rng.shuffle(collections)
    specs: list[dict] = []
    bundles: list[tuple[int, ...]] = []
    taken: set[str] = set()
    bundle_budget = max(2, size // 6)
    for b, items in enumerate(BUNDLES):
        if sum(len(x) for x in bundles) + len(items) > bundle_budget:
            break
        name = collections[b % len(collections)]
        collection_colour = rng.choice(COLOURS)
        titles = [f"{name} {noun}" for _, noun, _, _ in items]
        members = []
        for k, (category, noun, low, high) in enumerate(items):
            partners = " and the ".join(t for j, t in enumerate(titles) if j != k)
            coloured = not any(word in noun for word in UNCOLOURED_WORDS)
            in_colour = f", in {collection_colour.lower()}" if coloured else ""
            description = (
                f"The {noun.lower()} of our {name} collection{in_colour}. "
                f"Made to match the {partners}."
            )
            taken.add(titles[k])
            members.append(len(specs))
            specs.append(
                dict(
                    title=titles[k],
                    description=description,
                    category=category,
                    colour=collection_colour if coloured else None,
                    price=shop_price(rng, low, high),
                    bundle=b,
                    age_days=rng.uniform(400, 900),
                )
            )
        bundles.append(tuple(members))

    per_category = {c: size // len(CATEGORIES) for c in CATEGORIES}
    for c in CATEGORIES[: size % len(CATEGORIES)]:
        per_category[c] += 1
    for spec in specs:
        per_category[spec["category"]] -= 1
    for category in CATEGORIES:
        for _ in range(max(0, per_category[category])):
            title, description, colour, price = _generic_product(rng, category, taken)
            # Most of the range is long-listed; some items are new in during the year.
            age = rng.uniform(380, 1100) if rng.random() < 0.85 else rng.uniform(5, 360)
            specs.append(
                dict(
                    title=title,
                    description=description,
                    category=category,
                    colour=colour,
                    price=price,
                    bundle=None,
                    age_days=age,
                )
            )

    serial = {c: 1000 for c in CATEGORIES}
    products = []
    for spec in specs:
        serial[spec["category"]] += rng.randint(1, 9)
        sku = f"{SKU_PREFIX[spec['category']]}-{serial[spec['category']]}"
        # Heavy-tailed popularity: a few best-sellers per category, a long tail.
        popularity = rng.paretovariate(1.6)
        products.append(ProductSpec(sku=sku, stock=_stock(rng), popularity=popularity, **spec))
    return Catalogue(products=tuple(products), bundles=tuple(bundles))
