"""Middlewares of a console behind a load balancer: the client's real address, and outages.

Behind nginx every request comes from the balancer's address, so the chat-start limit and
the sign-in throttle would count every visitor as one. ``X-Forwarded-For`` is believed
only from the balancers listed in ``CONCIERGE_TRUSTED_PROXIES``: anyone else could write
any address there and escape every per-address limit. nginx appends the address it saw
(``proxy_add_x_forwarded_for``) to whatever the client sent, so the client's address is
the last hop that is not itself a trusted proxy, read from the right; what a client wrote
on the left is never used.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from console.shared.errors import SharedStateUnavailable

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Seconds a client is told to wait when the shared state is away.
RETRY_AFTER_SECONDS = 5


def forwarded_client(
    remote: str | None, forwarded_for: Iterable[str], trusted: frozenset[str]
) -> str | None:
    """The client's address: ``remote`` unless it is a trusted proxy that forwarded one."""
    if remote is None or remote not in trusted:
        return remote
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    client = remote
    for hop in reversed(hops):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:
            # Not written by a proxy of ours: stop at the last address we can vouch for.
            return client
        client = address
        if address not in trusted:
            return address
    return client


def trusted_forwarding(trusted_proxies: Iterable[str]) -> Middleware:
    """A middleware that makes ``request.remote`` the client's address behind trusted proxies."""
    trusted = frozenset(str(ipaddress.ip_address(p)) for p in trusted_proxies)

    @web.middleware
    async def client_address_behind_proxies(
        request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        if request.remote is None or request.remote not in trusted:
            return await handler(request)
        client = forwarded_client(
            request.remote, request.headers.getall("X-Forwarded-For", []), trusted
        )
        return await handler(request.clone(remote=client or request.remote))

    return client_address_behind_proxies


@web.middleware
async def shared_state_unavailable(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with the outage's advice instead of a 500 and a traceback."""
    try:
        return await handler(request)
    except SharedStateUnavailable as exc:
        log.warning("%s %s answered 503: %s", request.method, request.path, exc.__cause__ or exc)
        return web.Response(
            status=503, text=str(exc), headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
