"""Every endpoint of the API, declared once: the router and the OpenAPI document read this.

An :class:`Endpoint` names its path, scope, parameter, body and response models; the
handler receives validated parameters (``params["body"]`` for a JSON body) and returns a
response model, which is validated again on the way out, or a ready response (a replay).
Adding an endpoint is one entry in :data:`ENDPOINTS` and its handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from api.auth import authorise
from api.batch import NDJSON, batch_propensity
from api.docs_page import render_docs
from api.linking import issue_link_code
from api.metrics import scrape
from api.offers import idempotency_key, record_once, request_fingerprint
from api.openapi import openapi_document
from api.problems import ApiProblem, invalid_parameters
from api.products import EncoderUnavailable, UnknownProduct
from api.schemas import (
    MAX_BATCH_LINES,
    MAX_BODY_BYTES,
    BatchItem,
    BatchResult,
    CustomerPath,
    Health,
    LinkCode,
    Models,
    OfferDecision,
    OfferDecisionRequest,
    ProductPath,
    ProductSearch,
    ProductSearchQuery,
    Propensity,
    Recommendations,
    RecommendationsQuery,
    SimilarProducts,
    SimilarQuery,
)
from api.serving import ModelUnavailable, UnknownCustomer
from api.typedefs import IDEMPOTENCY, KEY_ID, METRICS, OFFERS, PRODUCTS, SERVICE, SETTINGS

Params = dict[str, BaseModel]
Handler = Callable[[web.Request, Params], Awaitable[BaseModel | web.StreamResponse]]
JSON = "application/json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Endpoint:
    """One operation: where it answers, who may call it, what goes in and out."""

    name: str
    method: str
    path: str
    summary: str
    handler: Handler
    response: type[BaseModel]
    scope: str | None = None  # None: public (health, the OpenAPI document)
    path_params: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None  # the request body (one line of it for JSON Lines)
    body_media: str = "application/json"  # others are read by the handler itself
    response_media: str = "application/json"  # NDJSON: ``response`` is one line of it
    # Reads an Idempotency-Key header (documented; required when the body says record).
    idempotent: bool = False
    # Problem statuses besides 400/401/403/429 (which follow from parameters and scope).
    problems: tuple[int, ...] = ()


async def _recommendations(request: web.Request, params: Params) -> BaseModel:
    customer = params["path"]
    assert isinstance(customer, CustomerPath) and isinstance(params["query"], RecommendationsQuery)
    service = request.app[SERVICE]
    return await _answer(service.recommendations, customer.customer_id, params["query"])


async def _propensity(request: web.Request, params: Params) -> BaseModel:
    customer = params["path"]
    assert isinstance(customer, CustomerPath)
    return await _answer(request.app[SERVICE].propensity, customer.customer_id)


async def _similar(request: web.Request, params: Params) -> BaseModel:
    product = params["path"]
    assert isinstance(product, ProductPath) and isinstance(params["query"], SimilarQuery)
    return await _answer(request.app[PRODUCTS].similar, product.product_id, params["query"])


async def _search(request: web.Request, params: Params) -> BaseModel:
    return await _answer(request.app[PRODUCTS].search, params["query"])


async def _models(request: web.Request, params: Params) -> BaseModel:
    return await asyncio.to_thread(request.app[SERVICE].model_infos)


async def _health(request: web.Request, params: Params) -> BaseModel:
    return Health(status="ok", models_loaded=sorted(request.app[SERVICE].models.versions))


async def _offer_decision(request: web.Request, params: Params) -> BaseModel | web.Response:
    customer, body = params["path"], params["body"]
    assert isinstance(customer, CustomerPath) and isinstance(body, OfferDecisionRequest)
    offers = request.app[OFFERS]
    header = request.headers.get(IDEMPOTENCY_HEADER)
    if not body.record:
        if header is not None:  # a preview ignores the key, but a malformed one is a mistake
            idempotency_key(header)
        return await _answer(offers.decide, customer.customer_id, body)
    key = idempotency_key(header)

    def work() -> OfferDecision:
        return offers.decide(customer.customer_id, body)

    try:
        recorded = await record_once(
            request.app[IDEMPOTENCY],
            request[KEY_ID],
            key,
            request_fingerprint(request.method, request.path, body),
            work,
        )
    except (UnknownCustomer, ModelUnavailable) as exc:
        raise _problem_of(exc) from None
    headers = {REPLAYED_HEADER: "true"} if recorded.replayed else {}
    return web.json_response(recorded.body, status=recorded.status, headers=headers)


async def _batch_propensity(request: web.Request, params: Params) -> web.StreamResponse:
    return await batch_propensity(request)


async def _link_code(request: web.Request, params: Params) -> web.Response:
    customer = params["path"]
    assert isinstance(customer, CustomerPath)
    return await issue_link_code(request, customer.customer_id)


async def _answer(work: Callable[..., BaseModel], *args: Any) -> BaseModel:
    """Run store and model work off the event loop; map what a caller can cause to problems."""
    try:
        return await asyncio.to_thread(work, *args)
    except (UnknownCustomer, UnknownProduct, ModelUnavailable) as exc:
        raise _problem_of(exc) from None


def _problem_of(exc: UnknownCustomer | UnknownProduct | ModelUnavailable) -> ApiProblem:
    if isinstance(exc, UnknownCustomer):
        return ApiProblem("not-found", f"There is no customer with id {exc.args[0]}.")
    if isinstance(exc, UnknownProduct):
        return ApiProblem("not-found", str(exc))
    if isinstance(exc, EncoderUnavailable):
        return ApiProblem("model-unavailable", str(exc))
    return ApiProblem("model-unavailable", f"{exc} Train it with `python -m recsys train`.")


CUSTOMER = "/v1/customers/{customer_id}"
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="getRecommendations",
        method="GET",
        path=f"{CUSTOMER}/recommendations",
        summary="Recommended products for a customer, with scores and reasons",
        handler=_recommendations,
        response=Recommendations,
        scope="recommendations:read",
        path_params=CustomerPath,
        query=RecommendationsQuery,
        problems=(404, 503),
    ),
    Endpoint(
        name="getPropensity",
        method="GET",
        path=f"{CUSTOMER}/propensity",
        summary="A customer's purchase propensity, its reasons, segment and lifecycle stage",
        handler=_propensity,
        response=Propensity,
        scope="scores:read",
        path_params=CustomerPath,
        problems=(404,),
    ),
    Endpoint(
        name="decideOffer",
        method="POST",
        path=f"{CUSTOMER}/offer-decisions",
        summary="The chat's offer decision for a customer at a moment; recorded if asked",
        handler=_offer_decision,
        response=OfferDecision,
        scope="offers:decide",
        path_params=CustomerPath,
        body=OfferDecisionRequest,
        idempotent=True,
        problems=(404, 409, 413, 415, 422),
    ),
    Endpoint(
        name="issueLinkCode",
        method="POST",
        path=f"{CUSTOMER}/link-codes",
        summary="A one-time code (and Telegram deep link) that links the customer's Telegram "
        "account; show it on their account page",
        handler=_link_code,
        response=LinkCode,
        scope="identities:write",
        path_params=CustomerPath,
        problems=(404,),
    ),
    Endpoint(
        name="batchPropensity",
        method="POST",
        path="/v1/batch/propensity",
        summary=f"Propensity of up to {MAX_BATCH_LINES} customers: JSON Lines in, NDJSON out",
        handler=_batch_propensity,
        response=BatchResult,
        scope="scores:read",
        body=BatchItem,
        body_media=NDJSON,
        response_media=NDJSON,
        problems=(413, 415),
    ),
    Endpoint(
        name="getSimilarProducts",
        method="GET",
        path="/v1/products/{product_id}/similar",
        summary='Products like this one, as the chat\'s "more like this" finds them, '
        "with scores and reasons",
        handler=_similar,
        response=SimilarProducts,
        scope="recommendations:read",
        path_params=ProductPath,
        query=SimilarQuery,
        problems=(404, 503),
    ),
    Endpoint(
        name="searchProducts",
        method="GET",
        path="/v1/search/products",
        summary="Products matching a shopper's words, within the price, category and colour "
        "they name; says which constraints it understood",
        handler=_search,
        response=ProductSearch,
        scope="recommendations:read",
        query=ProductSearchQuery,
        problems=(503,),
    ),
    Endpoint(
        name="listModels",
        method="GET",
        path="/v1/models",
        summary="The trained models: versions, training time, data fingerprint, metrics",
        handler=_models,
        response=Models,
        scope="scores:read",
    ),
    Endpoint(
        name="health",
        method="GET",
        path="/healthz",
        summary="The process is up (no key needed)",
        handler=_health,
        response=Health,
    ),
)


def _refuse_declared_oversize(request: web.Request) -> None:
    """A 413 on the declared length alone, before one byte of the body is read.

    aiohttp's own limit (``client_max_size``) applies while reading, to bodies sent without
    a length (chunked); a declared 10 MB is refused without waiting for it.
    """
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiProblem(
            "body-too-large",
            f"The request body is larger than the {MAX_BODY_BYTES} bytes allowed.",
        )


async def _parse_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != JSON:
        raise ApiProblem(
            "unsupported-media-type",
            f"Send the body as JSON with `Content-Type: {JSON}`.",
        )
    raw = await request.read()  # aiohttp refuses (413) beyond the app's client_max_size
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_parameters(exc, "invalid-body") from None


def _parse(model: type[BaseModel] | None, values: Any) -> BaseModel | None:
    if model is None:
        return None
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        raise invalid_parameters(exc) from None


def _bind(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of an endpoint: key and scope, parameters, call, validated JSON."""

    async def handle(request: web.Request) -> web.StreamResponse:
        _refuse_declared_oversize(request)
        if endpoint.scope is not None:
            await authorise(request, endpoint.scope)
        params: Params = {}
        for part, model, values in (
            ("path", endpoint.path_params, request.match_info),
            ("query", endpoint.query, request.query),
        ):
            parsed = _parse(model, values)
            if parsed is not None:
                params[part] = parsed
        if endpoint.query is None and request.query:
            raise ApiProblem("invalid-parameter", "This endpoint takes no query parameters.")
        if endpoint.body is not None and endpoint.body_media == JSON:
            params["body"] = await _parse_body(request, endpoint.body)
        result = await endpoint.handler(request, params)
        if isinstance(result, web.StreamResponse):
            return result
        # Built by pydantic, so validated; this keeps the document's promise about its type.
        if not isinstance(result, endpoint.response):
            raise TypeError(f"{endpoint.name} answered a {type(result).__name__}")
        return web.json_response(text=result.model_dump_json())

    return handle


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(ENDPOINTS))


async def _docs(request: web.Request) -> web.Response:
    return web.Response(text=render_docs(openapi_document(ENDPOINTS)), content_type="text/html")


async def _metrics(request: web.Request) -> web.Response:
    return scrape(request, request.app[METRICS], request.app[SETTINGS].metrics_token)


def add_routes(app: web.Application) -> None:
    """Register every endpoint, and the OpenAPI document and docs page from the same table."""
    for endpoint in ENDPOINTS:
        app.router.add_route(endpoint.method, endpoint.path, _bind(endpoint), name=endpoint.name)
    app.router.add_get("/v1/openapi.json", _openapi, name="openapi")
    app.router.add_get("/v1/docs", _docs, name="docs")
    app.router.add_get("/metrics", _metrics, name="metrics")
