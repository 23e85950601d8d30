"""What guards the start of a chat: trusted origins, a CSRF token and a rate limit.

Starting a chat creates a sender id and may link it to a customer, so it is a write a
browser must not be tricked into (CSRF) and an address must not repeat thousands of times
(every start is a row and a Rasa conversation). The widget's calls come from the console's
own origin (its iframe) and the shop pages in ``CONCIERGE_ALLOWED_ORIGINS`` (plus, in demo
mode, the demo shop page); nothing else.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web

from concierge.settings import Settings

# The front page's chat forms carry this field; it must equal the cookie (double submit).
CSRF_COOKIE = "concierge_chat_csrf"
CSRF_FIELD = "csrf"
# Chat starts allowed per client address in a sliding window.
STARTS_PER_WINDOW = 10
WINDOW_SECONDS = 60.0


class StartLimiter:
    """Chat starts per client address in a sliding window, in this process's memory.

    Several consoles share the counts in Redis with ``console.shared.limits.RedisStartLimiter``
    (the same ``allow``), which falls back to this class while Redis is away.
    """

    def __init__(
        self,
        max_starts: int = STARTS_PER_WINDOW,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self._max = max_starts
        self._window = window_seconds
        self._clock = clock
        self._max_clients = max_clients
        self._starts: dict[str, deque[float]] = {}

    def allow(self, client: str) -> bool:
        """Count one start by ``client``; False when it has used up its window."""
        now = self._clock()
        starts = self._starts.get(client)
        if starts is None:
            if len(self._starts) >= self._max_clients:
                self._forget_idle(now)
            starts = self._starts[client] = deque()
        while starts and starts[0] <= now - self._window:
            starts.popleft()
        if len(starts) >= self._max:
            return False
        starts.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        self._starts = {
            client: starts
            for client, starts in self._starts.items()
            if starts and starts[-1] > now - self._window
        }


def client_address(request: web.Request) -> str:
    """The address a start is counted against: the client's, even behind a load balancer.

    ``request.remote`` is the client's address already: behind a proxy listed in
    ``CONCIERGE_TRUSTED_PROXIES`` the ``trusted_forwarding`` middleware
    (console/shared/middleware.py) has set it from ``X-Forwarded-For``; from anyone else
    that header is ignored, so a forged one cannot escape the limit.
    """
    return request.remote or "unknown"


def trusted_origins(settings: Settings) -> frozenset[str]:
    """Origins besides the console's own whose pages may embed and drive the widget."""
    origins = set(settings.allowed_origins)
    if settings.demo:
        # The demo shop page embeds the widget from its own port, as a shop would.
        origins.add(settings.demo_shop_url)
        origins.add(f"http://localhost:{settings.demo_shop_port}")
    return frozenset(origins)


def origin_trusted(request: web.Request, trusted: frozenset[str], *, required: bool) -> bool:
    """Whether the request's ``Origin`` is the console's own or a trusted one.

    Browsers send ``Origin`` on every cross-origin request, every POST and every WebSocket
    handshake; ``required=False`` lets a request without one through (a non-browser
    client, which has no victim's cookies to abuse).
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return not required
    origin = origin.rstrip("/")
    # Host only for our own origin: behind a TLS proxy the browser says https, we see http.
    return urlsplit(origin).netloc == request.host or origin in trusted


def csrf_token_for(request: web.Request) -> tuple[str, bool]:
    """The CSRF token the page's forms carry, and whether the cookie must be (re)set."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if len(current) >= 32:
        return current, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """Store the double-submit token; Strict so no other site's request carries it."""
    response.set_cookie(
        CSRF_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def csrf_ok(request: web.Request, submitted: object) -> bool:
    """Whether a form's token equals its cookie's (compared in constant time)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not isinstance(submitted, str) or len(cookie) < 32:
        return False
    return hmac.compare_digest(submitted.encode(), cookie.encode())
