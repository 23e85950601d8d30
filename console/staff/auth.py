"""Staff sign-in: session cookies, CSRF tokens, role checks, the sign-in and sign-out pages.

The staff cookie holds ``<account id>:<nonce>`` signed with a key derived from the
console secret (a customer's chat cookie can never pass for it); a signed-in cookie
counts only while its session is kept on the server (console/staff/sessions.py), so
signing out ends every copy of it. Every visitor of a
staff page gets one, signed in or not (account id 0), so the sign-in form itself is
CSRF-protected. The CSRF token is an HMAC of the nonce; a new nonce is issued at
sign-in, so a token seen before signing in is worthless afterwards. The account is
re-read on every request: a disabled account or a removed role takes effect at once.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import aiohttp_jinja2
from aiohttp import web

from console.keys import (
    password_checks_key,
    pseudonyms_key,
    staff_directory_key,
    staff_sessions_key,
    throttle_key,
)
from console.staff.accounts import Account
from console.staff.password_checks import PasswordChecksBusy
from console.staff.sessions import STAFF_COOKIE

STAFF_PREFIXES = ("/staff", "/marketing", "/admin")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
STAFF_HOME = "/staff"
BUSY_TEXT = "The console is checking many sign-ins right now. Try again in a moment."
# A sign-in link's target: longer ones are not paths of this console.
_MAX_NEXT_CHARS = 2000
# Percent-decodings a target must survive; one more than any layer would apply.
_DECODE_ROUNDS = 3
CSRF_FAILED_TEXT = (
    "This form has expired or did not come from the console. Reload the page and try again."
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class StaffContext:
    """Who is asking (None before sign-in) and the CSRF token their forms must carry."""

    account: Account | None
    csrf_token: str
    nonce: str


staff_request_key = web.RequestKey("staff", StaffContext)


def set_staff_cookie(request: web.Request, response: web.StreamResponse, value: str) -> None:
    """Attach the staff cookie to ``response``."""
    response.set_cookie(
        STAFF_COOKIE,
        value,
        max_age=request.app[staff_sessions_key].ttl_seconds,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def is_staff_path(path: str) -> bool:
    """Whether ``path`` belongs to the staff side of the console."""
    return any(path == p or path.startswith(p + "/") for p in STAFF_PREFIXES)


@web.middleware
async def staff_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the staff session of staff pages and refuse unsafe requests without a CSRF token."""
    if not is_staff_path(request.path):
        return await handler(request)
    sessions = request.app[staff_sessions_key]
    parsed = sessions.read(request.cookies.get(STAFF_COOKIE))
    new_cookie = None
    account = None
    if parsed is None:
        new_cookie, nonce = sessions.issue(0)
    else:
        account_id, nonce = parsed
        if account_id:
            account = await asyncio.to_thread(_signed_in_account, request.app, account_id, nonce)
            if account is None:
                new_cookie, nonce = sessions.issue(0)
    context = StaffContext(account=account, csrf_token=sessions.csrf_token(nonce), nonce=nonce)
    request[staff_request_key] = context
    if request.method not in ("GET", "HEAD", "OPTIONS") and not await _csrf_ok(request, context):
        response: web.StreamResponse = web.Response(status=403, text=CSRF_FAILED_TEXT)
    else:
        response = await handler(request)
    if new_cookie is not None and not response.prepared:
        set_staff_cookie(request, response, new_cookie)
    return response


def _signed_in_account(app: web.Application, account_id: int, nonce: str) -> Account | None:
    # Both checks on every request: a session ended by sign-out (a copied cookie) or an
    # account disabled or stripped of its roles takes effect at once.
    if not app[staff_sessions_key].is_live(account_id, nonce):
        return None
    account = app[staff_directory_key].account(account_id)
    return account if account is not None and account.active else None


async def _csrf_ok(request: web.Request, context: StaffContext) -> bool:
    # A cookie we just issued cannot have been seen by a form yet.
    if request.cookies.get(STAFF_COOKIE) is None:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    return sent is not None and bool(sent) and hmac.compare_digest(sent, context.csrf_token)


def current(request: web.Request) -> StaffContext:
    """The staff context the middleware attached."""
    return request[staff_request_key]


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """Let the handler run only for a signed-in account holding one of ``roles`` (or admin)."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            account = current(request).account
            if account is None:
                if request.method == "GET":
                    return see_other(f"/staff/sign-in?next={_quote(request.path_qs)}")
                raise web.HTTPUnauthorized(text="Sign in to the console first.")
            if not account.has_any(roles):
                return aiohttp_jinja2.render_template(
                    "staff/refused.html",
                    request,
                    {"needed": roles, "account": account},
                    status=403,
                )
            return await handler(request)

        guarded.required_roles = roles  # type: ignore[attr-defined]
        return guarded

    return decorate


def see_other(location: str) -> web.Response:
    """A 303 redirect to ``location`` (a plain response, so cookies can ride on it)."""
    return web.Response(status=303, headers={"Location": location})


def _quote(path: str) -> str:
    return quote(path, safe="")


def safe_next(raw: str | None) -> str:
    """A same-site path to go to after sign-in; anything else goes to the staff home."""
    return raw if raw and _same_site_path(raw) else STAFF_HOME


def _same_site_path(raw: str) -> bool:
    # Browsers drop tabs and newlines from a URL and read "\\" as "/", so "/\t/evil.example"
    # becomes "//evil.example": only visible ASCII without backslashes passes. The path part
    # is checked again after each percent-decoding a proxy or framework might apply, so
    # "/%2F/evil.example" or "/%252F%252Fevil.example" cannot become "//" on the way either.
    if len(raw) > _MAX_NEXT_CHARS or not _plain_path(raw):
        return False
    path = raw.split("?", 1)[0].split("#", 1)[0]
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            return True
        if not _plain_path(decoded):
            return False
        path = decoded
    return False


def _plain_path(path: str) -> bool:
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and all("!" <= char <= "~" for char in path)
    )


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """The sign-in form (signed-in staff go straight on)."""
    if current(request).account is not None:
        return see_other(safe_next(request.query.get("next")))
    context = {"error": None, "email": "", "next": safe_next(request.query.get("next"))}
    return aiohttp_jinja2.render_template("staff/sign_in.html", request, context)


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check the password; slow down repeated failures; start a fresh session on success."""
    form = await request.post()
    email = str(form.get("email", "")).strip().lower()[:255]
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    throttle = request.app[throttle_key]
    keys = (f"email:{email}", f"ip:{request.remote}")

    def refuse(error: str, status: int) -> web.StreamResponse:
        context = {"error": error, "email": email, "next": target}
        return aiohttp_jinja2.render_template("staff/sign_in.html", request, context, status=status)

    # Counted before the check: a burst of parallel guesses must not each get one.
    if not throttle.reserve(*keys):
        wait = throttle.wait_seconds(*keys)
        return refuse(
            f"Too many failed sign-ins. Wait {int(wait) + 1} seconds, then try again.", 429
        )
    directory = request.app[staff_directory_key]
    try:
        account = await request.app[password_checks_key].run(
            directory.authenticate, email, password
        )
    except PasswordChecksBusy:
        throttle.release(*keys)
        return refuse(BUSY_TEXT, 429)
    if account is None:
        await _record_failed_sign_in(request, email)
        return refuse("That e-mail and password do not match an active account.", 401)
    throttle.succeeded(*keys)
    await asyncio.to_thread(directory.record, account.email, "signed_in", account.email, {})
    cookie, _ = await asyncio.to_thread(request.app[staff_sessions_key].issue, account.id)
    response = see_other(target)
    set_staff_cookie(request, response, cookie)
    return response


async def _record_failed_sign_in(request: web.Request, email: str) -> None:
    # What was typed may be a customer's address or even a password in the wrong field:
    # the audit log names the account it matched, or a keyed pseudonym of the text.
    directory = request.app[staff_directory_key]
    account_id = await asyncio.to_thread(directory.account_id_for, email)
    typed = (
        f"account {account_id}"
        if account_id is not None
        else request.app[pseudonyms_key].of("typed", email)
    )
    await asyncio.to_thread(
        directory.record, "sign-in form", "sign_in_failed", typed, {"ip": request.remote}
    )


async def sign_out(request: web.Request) -> web.StreamResponse:
    """End the session on the server (every copy of its cookie) and give a signed-out cookie."""
    sessions = request.app[staff_sessions_key]
    context = current(request)
    if context.account is not None:
        await asyncio.to_thread(sessions.end, context.nonce)
    cookie, _ = sessions.issue(0)
    response = see_other("/staff/sign-in")
    set_staff_cookie(request, response, cookie)
    return response


def staff_template_context(request: web.Request) -> Awaitable[dict[str, Any]]:
    """Jinja context processor: every staff template sees ``staff`` and ``csrf_token``."""

    async def build() -> dict[str, Any]:
        context = request.get(staff_request_key)
        return {
            "staff": context.account if context else None,
            "csrf_token": context.csrf_token if context else "",
        }

    return build()
