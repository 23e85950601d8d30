"""What the catalogue says about products the assistant showed: for follow-up questions.

A customer who was just shown three products asks "how much is the second" or "is it in
stock"; the answer must come from the store's current row (price and stock move), not
from the recommender's training snapshot. One read per question, in the order asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.models import Product


@dataclass(frozen=True)
class ProductFact:
    """One product as the catalogue holds it now (colour None when the catalogue has none)."""

    id: int
    sku: str
    title: str
    description: str
    category: str
    colour: str | None
    price: float
    stock: int

    @property
    def in_stock(self) -> bool:
        """True when at least one is on the shelf."""
        return self.stock > 0

    @classmethod
    def of(cls, row: Product) -> ProductFact:
        """Snapshot a product row."""
        return cls(
            id=row.id,
            sku=row.sku,
            title=row.title,
            description=row.description or "",
            category=row.category,
            colour=row.colour or None,
            price=float(row.price),
            stock=int(row.stock or 0),
        )


def products_by_ids(sessions: sessionmaker[Session], ids: Iterable[int]) -> list[ProductFact]:
    """The products with ``ids``, in the order given; ids no longer in the catalogue left out."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        return []
    with sessions() as s:
        rows = s.scalars(select(Product).where(Product.id.in_(wanted))).all()
        found = {row.id: ProductFact.of(row) for row in rows}
    return [found[i] for i in wanted if i in found]


def colours_of_title(sessions: sessionmaker[Session], title: str) -> list[str]:
    """Every colour the catalogue sells a product called ``title`` in (case-insensitive)."""
    with sessions() as s:
        colours = s.scalars(
            select(Product.colour)
            .where(Product.title.ilike(title), Product.colour.is_not(None))
            .distinct()
        ).all()
    return sorted(c for c in colours if c)
