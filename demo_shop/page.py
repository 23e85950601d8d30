"""The demo shop's own page, embedding the chat widget exactly as a real shop would.

``make demo`` starts it (demo mode only) on ``DEMO_SHOP_PORT``, another origin than the
console. It plays the shop's server: the "signed-in" customer's id is signed with the
shared identity secret (an HS256 JWT here; the console's demo picker uses the HMAC form)
and put in the widget's ``<script>`` tag. ``/?customer=ben`` (or ``clara``) signs in
another demo customer; ``/?visitor=1`` is a visitor who is not signed in (a guest).

    python -m demo_shop.page
"""

from __future__ import annotations

import asyncio
import html
import logging
import sys

from aiohttp import web
from sqlalchemy import bindparam, select, update

from concierge.settings import Settings, SettingsError, exits_on_settings_error
from console.chat.identity import sign_jwt_identity
from demo_shop.customers import demo_external_ref
from demo_shop.fixtures import ANNA_EMAIL, BEN_EMAIL, CLARA_EMAIL
from store.db import make_engine
from store.models import Customer
from store.repository import ShopRepository
from store.views import CustomerView

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = {"anna": ANNA_EMAIL, "ben": BEN_EMAIL, "clara": CLARA_EMAIL}
settings_key = web.AppKey("settings", Settings)
repository_key = web.AppKey("repository", ShopRepository)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>The Home Store (demo shop page)</title>
</head>
<body style="font-family: system-ui, sans-serif; margin: 0; background: #faf7f2;">
  <header style="padding: 1rem 2rem; background: #2d2a26; color: #fff;">
    <strong>The Home Store</strong> · a demo shop page on its own origin
    <span data-testid="shop-account" style="float: right;">{account}</span>
  </header>
  <main style="padding: 2rem; max-width: 50rem;">
    <h1>Cushions, lamps and throws</h1>
    <p>This page stands in for a shop's own site. Its server signed the customer in, signs
       their id for Concierge, and embeds the chat with one script tag (see the README).</p>
    <p>Sign in as <a href="/?customer=anna">Anna</a>, <a href="/?customer=ben">Ben</a>,
       <a href="/?customer=clara">Clara</a>, or <a href="/?visitor=1">browse as a visitor</a>.</p>
  </main>
  {widget_tag}
</body>
</html>
"""


async def shop_page(request: web.Request) -> web.Response:
    """The shop's page, with the widget signed for its signed-in customer (if any)."""
    settings = request.app[settings_key]
    customer = None
    if not request.query.get("visitor"):
        email = DEMO_ACCOUNTS.get(request.query.get("customer", "anna"), ANNA_EMAIL)
        customer = await asyncio.to_thread(_customer, request.app[repository_key], email)
    attributes = [f'src="{html.escape(settings.console_url)}/widget.js"', 'data-open="true"']
    if customer is not None and customer.external_ref:
        # What the shop's server does for a logged-in customer: sign its own id for them.
        token = sign_jwt_identity(settings.identity_secret, customer.external_ref)
        attributes.append(f'data-identity="{html.escape(token)}"')
        account = f"Signed in as {html.escape(customer.display_name)}"
    else:
        account = "Not signed in"
    widget_tag = f"<script {' '.join(attributes)} async></script>"
    body = PAGE.format(account=account, widget_tag=widget_tag)
    policy = (
        f"default-src 'none'; script-src {settings.console_url}; "
        f"frame-src {settings.console_url}; style-src 'unsafe-inline'; base-uri 'none'"
    )
    return web.Response(
        text=body,
        content_type="text/html",
        headers={"Content-Security-Policy": policy, "Cache-Control": "no-store"},
    )


def _customer(repository: ShopRepository, email: str) -> CustomerView | None:
    found = repository.list_customers(limit=1, search=email)
    return found[0] if found and found[0].email == email else None


def give_customers_shop_ids(settings: Settings) -> int:
    """Give customers without a shop id the demo shop's one; how many got one.

    Demo data generated before customers had shop ids (``external_ref``) could not be
    signed in; in demo mode this fills them in, so an existing ``var/`` keeps working.
    """
    engine = make_engine(settings.db_url)
    try:
        with engine.begin() as connection:
            missing = connection.scalars(
                select(Customer.id).where(Customer.external_ref.is_(None))
            ).all()
            if missing:
                connection.execute(
                    update(Customer.__table__)
                    .where(Customer.id == bindparam("customer_id"))
                    .values(external_ref=bindparam("ref")),
                    [{"customer_id": i, "ref": demo_external_ref(i)} for i in missing],
                )
    finally:
        engine.dispose()
    return len(missing)


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_page_app(settings: Settings) -> web.Application:
    """The demo shop page's application."""
    app = web.Application()
    app[settings_key] = settings
    app[repository_key] = ShopRepository.from_settings(settings)
    app.router.add_get("/", shop_page)
    app.router.add_get("/healthz", healthz)
    return app


@exits_on_settings_error
def main() -> int:
    """Serve the demo shop page until interrupted (demo mode only)."""
    settings = Settings.from_env()
    if not settings.demo:
        raise SettingsError(
            "the demo shop page runs only in demo mode: set CONCIERGE_DEMO=1 (make demo does)."
        )
    settings.require("identity_secret")
    given = give_customers_shop_ids(settings)
    if given:
        log.info("gave %d demo customers their shop ids", given)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(
        create_page_app(settings),
        host=settings.host,
        port=settings.demo_shop_port,
        print=lambda text: log.info(text.strip()),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
