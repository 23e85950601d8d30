"""The API's requests and responses as pydantic models: validated both ways, and the source
of the OpenAPI document (``api.openapi``), so the document cannot drift from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from promotions.triggers import Matter, Trigger

MAX_K = 50
# The longest search text read: a shopper's sentence, not a document.
MAX_SEARCH_CHARS = 200
# The largest request body the API reads (aiohttp answers 413 beyond it).
MAX_BODY_BYTES = 64 * 1024
# The most customers one batch call scores (413 beyond).
MAX_BATCH_LINES = 1000
Band = Literal["low", "medium", "high"]
OutcomeName = Literal["offer", "control", "holdout", "none"]
# Money and prices a caller sends: no negative, no absurd, no NaN.
MAX_AMOUNT = 1_000_000_000.0


def _in_utc(moment: datetime) -> datetime:
    # The store keeps naive UTC; an answer says so, as RFC 3339 (OpenAPI's date-time) requires.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_in_utc)]


class Query(BaseModel):
    """Base of the query and path models: an unknown parameter is a mistake worth naming."""

    model_config = ConfigDict(extra="forbid")


class CustomerPath(Query):
    # The upper bound is the largest id a database column holds (SQLite's INTEGER, BIGINT):
    # a bigger number is a caller's mistake, not a reason for the driver to overflow.
    customer_id: int = Field(
        ge=1, le=2**63 - 1, description="The customer's id in the shop database."
    )


class RecommendationsQuery(Query):
    k: int = Field(10, ge=1, le=MAX_K, description=f"How many items, 1 to {MAX_K}.")
    exclude_purchased: bool = Field(
        False, description="Leave out everything the customer ever bought."
    )


class ProductPath(Query):
    product_id: int = Field(
        ge=1, le=2**63 - 1, description="The product's id in the shop database."
    )


class SimilarQuery(Query):
    k: int = Field(10, ge=1, le=MAX_K, description=f"How many items, 1 to {MAX_K}.")


class ProductSearchQuery(Query):
    # At least one character that is not a space: a blank search asks for nothing.
    q: str = Field(
        min_length=1,
        max_length=MAX_SEARCH_CHARS,
        pattern=r"\S",
        description='What the shopper is looking for, in their words: "a red lamp under £20". '
        f"At most {MAX_SEARCH_CHARS} characters.",
    )
    k: int = Field(10, ge=1, le=MAX_K, description=f"How many items, 1 to {MAX_K}.")


class Body(BaseModel):
    """Base of the request bodies: an unknown field is a mistake worth naming, too."""

    model_config = ConfigDict(extra="forbid")


class OfferDecisionRequest(Body):
    """The moment an offer may be made, as the chat would describe it."""

    trigger: Trigger = Field(description="The moment: the campaigns name the triggers they use.")
    active_matters: list[Matter] = Field(
        default_factory=list,
        max_length=len(Matter),
        description="Open matters during which no offer is ever made (a complaint, a return, "
        "a wait for a person).",
    )
    channel: str = Field(
        "web",
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="Where the offer would be shown (e.g. web, email); campaign rules can test it.",
    )
    product: str | None = Field(
        None, min_length=1, max_length=200, description="The product the moment is about."
    )
    product_category: str | None = Field(None, min_length=1, max_length=100)
    product_price: float | None = Field(None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    basket_value: float | None = Field(None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False)
    record: bool = Field(
        False,
        strict=True,
        description="false (the default): a preview that records nothing. true: record the "
        "exposure (offer, control or hold-out) as the chat does; needs an Idempotency-Key "
        "header, and a repeat with the same key records nothing more.",
    )


class Answer(BaseModel):
    """Base of the responses: a field the code forgets to fill is a bug, not a null."""

    model_config = ConfigDict(extra="forbid")


class RecommendedItem(Answer):
    product_id: int
    title: str
    price: float = Field(description="Today's price in the shop's currency.")
    in_stock: bool
    score: float = Field(description="The recommender's score; higher ranks first.")
    reason: str = Field(description="Why the item was chosen, in words a customer can read.")


class Recommendations(Answer):
    customer_id: int
    model_version: str = Field(description="The recommender artifact's version that answered.")
    items: list[RecommendedItem]


class SimilarProducts(Answer):
    """Products like one product, as the chat's "more like this" finds them."""

    product_id: int
    model_version: str = Field(description="The recommender artifact's version that answered.")
    items: list[RecommendedItem] = Field(
        description="In stock, the product itself left out; the reason names what they share."
    )


class Understood(Answer):
    """What the search read in the text: the words it searched for and the hard constraints."""

    text: str = Field(description="The text that was embedded, without the price phrase.")
    min_price: float | None
    max_price: float | None
    categories: list[str] = Field(
        description="Categories named in the text (items must be in one)."
    )
    colours: list[str] = Field(
        description="Colours named in the text; when none in stock has one, the closest items "
        "are shown and their reason says so."
    )


class ProductSearch(Answer):
    query: str = Field(description="The text as it was sent.")
    understood: Understood
    model_version: str = Field(description="The search index artifact's version that answered.")
    items: list[RecommendedItem]


class Propensity(Answer):
    customer_id: int
    probability: float | None = Field(
        ge=0.0,
        le=1.0,
        description="Calibrated probability of an order in the next horizon_days; null when "
        "the customer was not scored yet (signed up after the last training).",
    )
    band: Band | None = Field(description="The band the promotions' rules use.")
    horizon_days: int
    reasons: list[str] = Field(description="What moves the score most, strongest first.")
    segment: str | None
    lifecycle_stage: str | None
    model_version: str | None = Field(description="The propensity artifact's version.")


class ModelInfo(Answer):
    name: str
    version: str
    trained_at: UtcDateTime
    data_fingerprint: str
    metrics: dict[str, Any]
    loaded: bool = Field(
        description="True when this process serves it from memory; false for the scores "
        "training wrote onto the customers (propensity, segments)."
    )


class Models(Answer):
    models: list[ModelInfo]


class PassedOver(Answer):
    campaign: str
    reason: str = Field(description="Why this campaign was not chosen (e.g. not_eligible).")


class CouponTerms(Answer):
    kind: Literal["percent", "amount"]
    value: float
    discount: str = Field(description="The discount as the customer reads it: 10% or £5.")
    min_basket: float
    currency: str
    validity_days: int = Field(description="Days the coupon is valid once accepted.")


class OfferDecision(Answer):
    """The chat's own decision for this customer at this moment."""

    customer_id: int
    outcome: OutcomeName = Field(
        description="offer: show it; control: the campaign's control group, show nothing; "
        "holdout: the global hold-out, show nothing; none: no campaign applies."
    )
    reason: str = Field(
        description="Why: chosen, control_group, global_holdout; for none e.g. no_consent, "
        "opted_out, daily_cap, weekly_cap, blocked_by_complaint, no_campaign."
    )
    passed_over: list[PassedOver] = Field(
        description="The campaigns considered before the decision, and why each was not chosen."
    )
    campaign: str | None
    variant: str | None
    text: str | None = Field(description="The offer's message, rendered for this customer.")
    coupon: CouponTerms | None = Field(description="What accepting the offer gives, if a coupon.")
    recorded: bool = Field(description="True when the exposure was recorded by this call.")
    exposure_id: int | None = Field(description="The recorded exposure, when there is one.")
    decided_at: UtcDateTime


class BatchItem(Body):
    """One line of a batch: ``{"customer_id": 42}`` (a bare ``42`` is read the same)."""

    customer_id: int = Field(ge=1, le=2**63 - 1)


class BatchError(Answer):
    status: int = Field(description="What a single call would have answered: 400 or 404.")
    detail: str


class BatchResult(Answer):
    """One line of a batch's answer, in the order of the lines sent."""

    line: int = Field(description="The line of the request it answers, from 1.")
    customer_id: int | None
    propensity: Propensity | None = Field(description="As GET .../propensity answers it.")
    error: BatchError | None = Field(description="Why this line has no answer.")


class LinkCode(Answer):
    """A one-time code the shop shows its signed-in customer, who sends it to the bot."""

    customer_id: int
    code: str = Field(
        description="Shown to the customer once; it links one messaging account, once. "
        "Issuing a new one cancels the customer's unused codes for the channel."
    )
    channel: Literal["telegram"]
    expires_at: UtcDateTime = Field(description="After this (UTC) the bot refuses the code.")
    deep_link: str | None = Field(
        description="https://t.me/<bot>?start=<code>: opening it sends the code to the bot. "
        "null while the shop has not configured TELEGRAM_BOT_NAME."
    )


class Health(Answer):
    status: Literal["ok"]
    models_loaded: list[str]


class ParameterError(BaseModel):
    parameter: str
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem details object (``application/problem+json``)."""

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ParameterError] | None = Field(
        None, description="Each invalid parameter and what is wrong with it (400 only)."
    )
