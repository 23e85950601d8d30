"""Demo customers and their hidden tastes, for the demo-data generator.

Each customer gets a name, a unique e-mail on a reserved example domain, a country and
consent flags, plus hidden preferences (favourite categories with weights, a price band,
a purchase frequency and possibly a churn date). The order simulation draws from those
preferences, and they are stored in ``Customer.preferences`` so that models trained on
the orders can be checked against the truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from demo_shop.calendar import ShopCalendar
from demo_shop.vocabulary import CATEGORIES

# Word tables read best as paragraphs:
# fmt: off
FIRST_NAMES = (
    "Oliver", "George", "Harry", "Jack", "Noah", "Leo", "Arthur", "Oscar", "Charlie",
    "Freddie", "Alfie", "Theo", "Henry", "Thomas", "James", "William", "Samuel", "Joshua",
    "Daniel", "Isaac", "Lucas", "Adam", "Mohammed", "Ethan", "Max", "Joseph", "David",
    "Ryan", "Aaron", "Callum", "Liam", "Owen", "Rhys", "Ewan", "Finlay", "Matthew", "Peter",
    "Simon", "Richard", "Andrew", "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily",
    "Florence", "Mia", "Willow", "Rosie", "Sophia", "Isabella", "Grace", "Evie", "Poppy",
    "Ella", "Emily", "Sienna", "Harper", "Charlotte", "Alice", "Phoebe", "Ruby", "Chloe",
    "Lucy", "Hannah", "Megan", "Sarah", "Laura", "Rachel", "Emma", "Jessica", "Amy",
    "Katie", "Zara", "Aisha", "Priya", "Niamh", "Siobhan", "Eilidh", "Catrin", "Helen",
    "Claire", "Joanne", "Nicola", "Fiona", "Karen", "Margaret", "Susan",
)
LAST_NAMES = (
    "Jones", "Williams", "Taylor", "Davies", "Evans", "Thomas", "Johnson", "Roberts",
    "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green",
    "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clark", "Turner",
    "Hill", "Scott", "Cooper", "Morris", "Ward", "Moore", "King", "Watson", "Baker",
    "Harrison", "Morgan", "Patel", "Young", "Allen", "Mitchell", "James", "Anderson",
    "Phillips", "Lee", "Bell", "Parker", "Davis", "Kelly", "Khan", "Shaw", "Bennett",
    "Campbell", "Price", "Stewart", "Murray", "Griffiths", "Cox", "Hunt", "Fox", "Lloyd",
    "O'Brien", "MacDonald", "Reid", "Fraser", "Singh", "Begum", "Ali", "Chapman", "Knight",
    "Holmes", "Palmer", "Owen", "Gray", "Rose", "Webb", "Marshall", "Ellis", "Pearce",
)
COUNTRIES = (
    ("United Kingdom", 0.86, ("London", "Manchester", "Birmingham", "Leeds", "Glasgow",
                              "Bristol", "Edinburgh", "Cardiff", "Liverpool", "Sheffield",
                              "Nottingham", "Brighton", "York", "Norwich", "Belfast")),
    ("Ireland", 0.04, ("Dublin", "Cork", "Galway")),
    ("France", 0.025, ("Paris", "Lyon", "Bordeaux")),
    ("Germany", 0.025, ("Berlin", "Hamburg", "Munich")),
    ("Netherlands", 0.015, ("Amsterdam", "Utrecht")),
    ("Belgium", 0.01, ("Brussels", "Antwerp")),
    ("Spain", 0.01, ("Madrid", "Barcelona")),
    ("Norway", 0.008, ("Oslo", "Bergen")),
    ("Australia", 0.007, ("Sydney", "Melbourne")),
)
# Each country's time zone (outreach's quiet hours are the customer's local time); a city
# named here has one of its own. Derived, not drawn, so the seeded data stays as it was.
TIME_ZONES = {
    "United Kingdom": "Europe/London",
    "Ireland": "Europe/Dublin",
    "France": "Europe/Paris",
    "Germany": "Europe/Berlin",
    "Netherlands": "Europe/Amsterdam",
    "Belgium": "Europe/Brussels",
    "Spain": "Europe/Madrid",
    "Norway": "Europe/Oslo",
    "Australia": "Australia/Sydney",
    "Melbourne": "Australia/Melbourne",
}
# fmt: on
EMAIL_DOMAINS = (("example.com", 0.6), ("example.org", 0.25), ("example.net", 0.15))

# Frequency type -> (share of customers, orders per year low, high, browsing sessions per year)
FREQUENCIES = {
    "window_shopper": (0.06, 0.0, 0.0, 12.0),
    "one_off": (0.26, 1.0, 1.0, 4.0),
    "occasional": (0.50, 1.5, 5.0, 8.0),
    "loyal": (0.18, 7.0, 18.0, 20.0),
}
PRICE_BANDS = (("budget", 0.35), ("mid", 0.45), ("premium", 0.20))
# How often each category is somebody's favourite.
CATEGORY_APPEAL = (1.3, 1.2, 1.0, 0.9, 0.8, 1.0, 0.8, 0.8, 0.8, 1.1)
CHANNELS = (("web", 0.5), ("email", 0.35), ("sms", 0.1), ("whatsapp", 0.05))


def weighted(rng: random.Random, pairs: tuple[tuple[Any, float], ...]) -> Any:
    """One value of ``(value, weight)`` pairs, drawn by weight."""
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def demo_external_ref(customer_id: int) -> str:
    """The demo shop's account id of a customer (a real shop has its own ids)."""
    return f"shop-{customer_id:06d}"


@dataclass
class CustomerProfile:
    """A customer row plus the hidden taste the order simulation follows."""

    id: int
    first_name: str
    last_name: str
    email: str
    country: str
    city: str
    created_at: datetime
    categories: dict[str, float]
    price_band: str
    frequency: str
    orders_per_year: float
    browse_per_year: float
    churn_at: datetime | None = None
    marketing_consent: bool = False
    email_opt_in: bool = False
    sms_opt_in: bool = False
    offers_opt_out: bool = False
    preferred_channel: str = "web"
    extra: dict[str, Any] = field(default_factory=dict)

    def active_span(self, calendar: ShopCalendar) -> tuple[datetime, datetime]:
        """When this customer shops: from sign-up (or the window start) to churn (or now)."""
        start = max(self.created_at, calendar.start)
        end = min(self.churn_at, calendar.now) if self.churn_at else calendar.now
        return start, max(start, end)

    def preferences(self) -> dict[str, Any]:
        """The hidden taste as stored in ``Customer.preferences``."""
        return {
            "categories": self.categories,
            "price_band": self.price_band,
            "frequency": self.frequency,
            "orders_per_year": round(self.orders_per_year, 2),
            "churned_at": self.churn_at.isoformat() if self.churn_at else None,
            **self.extra,
        }

    def row(self) -> dict[str, Any]:
        """The ``customers`` table row."""
        return {
            "id": self.id,
            # The demo shop's own id for the customer: what its page signs identities with.
            "external_ref": demo_external_ref(self.id),
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "country": self.country,
            "city": self.city,
            "created_at": self.created_at,
            "marketing_consent": self.marketing_consent,
            "email_opt_in": self.email_opt_in,
            "sms_opt_in": self.sms_opt_in,
            "offers_opt_out": self.offers_opt_out,
            "preferred_channel": self.preferred_channel,
            "timezone": TIME_ZONES.get(self.city) or TIME_ZONES.get(self.country),
            "preferences": self.preferences(),
            "tags": {},
        }


def unique_email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    """A not-yet-taken address on a reserved example domain, e.g. ``anna.smith2@example.org``."""
    local_first = "".join(ch for ch in first.lower() if ch.isalpha())
    local_last = "".join(ch for ch in last.lower() if ch.isalpha())
    local = f"{local_first}.{local_last}" if rng.random() < 0.8 else f"{local_first[0]}{local_last}"
    domain = weighted(rng, EMAIL_DOMAINS)
    suffix = 1
    while True:
        email = f"{local}{suffix if suffix > 1 else ''}@{domain}"
        if email not in taken:
            taken.add(email)
            return email
        suffix += 1


def favourite_categories(rng: random.Random) -> dict[str, float]:
    """One to three favourite categories with weights summing to one."""
    count = weighted(rng, ((1, 0.3), (2, 0.45), (3, 0.25)))
    chosen: list[str] = []
    while len(chosen) < count:
        category = rng.choices(CATEGORIES, weights=CATEGORY_APPEAL)[0]
        if category not in chosen:
            chosen.append(category)
    raw = [rng.gammavariate(2.0, 1.0) for _ in chosen]
    total = sum(raw)
    weights = sorted((round(r / total, 3) for r in raw), reverse=True)
    return dict(zip(chosen, weights, strict=True))


def make_customers(
    rng: random.Random, count: int, calendar: ShopCalendar, first_id: int, taken: set[str]
) -> list[CustomerProfile]:
    """``count`` random customers with ids from ``first_id``; ``taken`` holds used e-mails."""
    kinds = tuple((name, spec[0]) for name, spec in FREQUENCIES.items())
    customers = []
    for offset in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country, _, cities = rng.choices(COUNTRIES, weights=[c[1] for c in COUNTRIES])[0]
        frequency = weighted(rng, kinds)
        _, low, high, browse = FREQUENCIES[frequency]
        if rng.random() < 0.55:  # signed up before the simulated year
            created = calendar.start - timedelta(days=rng.uniform(1, 3 * 365))
            created = created.replace(microsecond=0)
        else:
            created = calendar.sample_time(rng, calendar.start, calendar.now)
        consent = rng.random() < 0.6
        customer = CustomerProfile(
            id=first_id + offset,
            first_name=first,
            last_name=last,
            email=unique_email(rng, first, last, taken),
            country=country,
            city=rng.choice(cities),
            created_at=created,
            categories=favourite_categories(rng),
            price_band=weighted(rng, PRICE_BANDS),
            frequency=frequency,
            orders_per_year=rng.uniform(low, high),
            browse_per_year=browse,
            marketing_consent=consent,
            email_opt_in=consent and rng.random() < 0.9,
            sms_opt_in=consent and rng.random() < 0.3,
            offers_opt_out=rng.random() < 0.04,
            preferred_channel=weighted(rng, CHANNELS),
        )
        start, end = customer.active_span(calendar)
        span = end - start
        repeat_buyer = frequency in ("occasional", "loyal") and span > timedelta(days=60)
        if repeat_buyer and rng.random() < 0.3:  # churners stop buying part-way through
            churn = start + span * rng.uniform(0.25, 0.85)
            customer.churn_at = churn.replace(microsecond=0)
        customers.append(customer)
    return customers
