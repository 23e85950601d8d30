"""Admin page to forget a customer (GDPR article 17): look up, confirm, erase, audited.

Two steps so a mistyped id cannot erase the wrong person: the first form names the
customer id, the second shows who that is and erases only when confirmed. The audit log
records the admin and an erasure reference, never the customer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console.keys import erasure_desk_key
from console.staff.auth import current, requires
from store.erasure import UnknownCustomer

TEMPLATE = "staff/forget_customer.html"


def _customer_id(raw: object) -> int | None:
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _render(request: web.Request, status: int = 200, **context: Any) -> web.StreamResponse:
    base = {"customer": None, "error": None, "done": None}
    return aiohttp_jinja2.render_template(TEMPLATE, request, base | context, status=status)


@requires("admin")
async def forget_page(request: web.Request) -> web.StreamResponse:
    """The form that asks which customer to forget."""
    return _render(request)


@requires("admin")
async def forget_customer(request: web.Request) -> web.StreamResponse:
    """Step 1 (no ``confirm``): show who the id is. Step 2 (``confirm=yes``): erase them."""
    form = await request.post()
    customer_id = _customer_id(form.get("customer_id", ""))
    if customer_id is None:
        return _render(request, 400, error="Enter a customer id: a whole number such as 42.")
    desk = request.app[erasure_desk_key]
    if form.get("confirm") != "yes":
        customer = await asyncio.to_thread(desk.customer, customer_id)
        if customer is None:
            return _render(request, 404, error=f"There is no customer {customer_id}.")
        return _render(request, customer=customer)
    actor = current(request).account
    assert actor is not None  # guaranteed by @requires
    try:
        report = await asyncio.to_thread(desk.forget, customer_id, actor.email)
    except UnknownCustomer as exc:
        return _render(request, 404, error=str(exc))
    return _render(request, done=report)
