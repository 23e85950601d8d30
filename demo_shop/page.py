"""The demo shop's own page, embedding the chat widget exactly as a real shop would.

``make demo`` starts it (demo mode only) on ``DEMO_SHOP_PORT``, another origin than the
console. It plays the shop's server: the "signed-in" customer's id is signed with the
shared identity secret (an HS256 JWT here; the console's demo picker uses the HMAC form)
and put in the widget's ``<script>`` tag. ``/?customer=ben`` (or ``clara``) signs in
another demo customer; ``/?visitor=1`` is a visitor who is not signed in (a guest).
A signed-in customer's page also shows "Connect Telegram": a fresh one-time link code and,
when ``TELEGRAM_BOT_NAME`` is set, the ``t.me`` deep link that sends it to the bot
(``store.account_linking``; each page load replaces the customer's unused code).

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
from store.account_linking import AccountLinking, IssuedCode, telegram_deep_link
from store.db import make_engine, make_session_factory
from store.models import Customer
from store.repository import ShopRepository
from store.views import CustomerView

log = logging.getLogger(__name__)

DEMO_ACCOUNTS = {"anna": ANNA_EMAIL, "ben": BEN_EMAIL, "clara": CLARA_EMAIL}
settings_key = web.AppKey("settings", Settings)
repository_key = web.AppKey("repository", ShopRepository)
linking_key = web.AppKey("linking", AccountLinking)

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
    {telegram}
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
    telegram = ""
    if customer is not None:
        issued = await asyncio.to_thread(request.app[linking_key].issue_code, customer.id)
        telegram = connect_telegram(issued, settings.telegram_bot_name)
    body = PAGE.format(account=account, widget_tag=widget_tag, telegram=telegram)
    policy = (
        f"default-src 'none'; script-src {settings.console_url}; "
        f"frame-src {settings.console_url}; style-src 'unsafe-inline'; base-uri 'none'"
    )
    return web.Response(
        text=body,
        content_type="text/html",
        headers={"Content-Security-Policy": policy, "Cache-Control": "no-store"},
    )


def connect_telegram(issued: IssuedCode, bot_name: str) -> str:
    """The account page's "Connect Telegram" box: the code, and the deep link if there is a bot.

    The deep link opens the bot, and Telegram sends it ``/start <code>``; without the app
    at hand, the customer types ``/link <code>`` to the bot instead.
    """
    code = html.escape(issued.code)
    if bot_name:
        link = html.escape(telegram_deep_link(bot_name, issued.code))
        how = (
            f'<a data-testid="telegram-link" href="{link}">Open Telegram and connect</a>, '
            f"or send <code>/link {code}</code> to @{html.escape(bot_name)}."
        )
    else:
        how = f"Send <code>/link {code}</code> to the shop's Telegram bot."
    return (
        '<section data-testid="connect-telegram" style="margin-top: 2rem; padding: 1rem; '
        'background: #fff; border: 1px solid #e4ddd3;">'
        "<h2>Connect Telegram</h2>"
        "<p>Chat with us in Telegram too, about your orders and returns. Your one-time code "
        f'is <strong data-testid="telegram-code">{code}</strong> (valid for 15 minutes).</p>'
        f"<p>{how}</p></section>"
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


async def _close_linking(app: web.Application) -> None:
    app[linking_key].close()


def create_page_app(settings: Settings) -> web.Application:
    """The demo shop page's application."""
    app = web.Application()
    app[settings_key] = settings
    app[repository_key] = ShopRepository.from_settings(settings)
    app[linking_key] = AccountLinking(make_session_factory(make_engine(settings.db_url)))
    app.on_cleanup.append(_close_linking)
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
