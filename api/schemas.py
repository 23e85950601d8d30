"""The API's requests and responses as pydantic models: validated both ways, and the source
of the OpenAPI document (``api.openapi``), so the document cannot drift from the code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_K = 50
Band = Literal["low", "medium", "high"]


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
    trained_at: datetime
    data_fingerprint: str
    metrics: dict[str, Any]
    loaded: bool = Field(
        description="True when this process serves it from memory; false for the scores "
        "training wrote onto the customers (propensity, segments)."
    )


class Models(Answer):
    models: list[ModelInfo]


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
