"""Builds the console's shared pieces from the settings: Redis-backed, or none at all.

``create_app`` asks :func:`shared_state` once. Without ``CONCIERGE_REDIS_URL`` it returns
None and the app keeps its embedded defaults (memory, SQL); the redis package (the
``scale`` extra) is imported only when a Redis URL is set.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from console.chat.hub import ChatHub
from console.chat.identity import ReplayGuard
from console.chat.start_guard import StartLimiter
from console.staff.session_store import StaffSessionStore
from console.staff.sign_in_throttle import SignInThrottle

if TYPE_CHECKING:
    import redis

    from concierge.settings import Settings


@dataclass
class SharedState:
    """The pieces several console instances share through one Redis."""

    chat_hub: ChatHub
    sign_in_throttle: SignInThrottle
    start_limiter: StartLimiter
    replay_guard: ReplayGuard
    staff_session_store: StaffSessionStore
    client: redis.Redis

    def close(self) -> None:
        """Close the blocking client's connections (the hub closes its own on shutdown)."""
        self.client.close()


def shared_state(settings: Settings, namespace: str | None = None) -> SharedState | None:
    """The Redis-backed pieces when ``settings.redis_url`` is set, else None.

    Each instance gets a unique name in the chat fan-out (its ``instance_name`` plus a
    random suffix), so two processes started with the same name never drop each other's
    messages as their own. ``namespace`` keeps tests on one Redis apart.
    """
    url = getattr(settings, "redis_url", "")
    if not url:
        return None
    from console.shared.chat_fanout import RedisChatFanout
    from console.shared.limits import RedisReplayGuard, RedisSignInThrottle, RedisStartLimiter
    from console.shared.redis_client import DEFAULT_NAMESPACE, async_client, sync_client
    from console.shared.staff_sessions import RedisStaffSessionStore

    namespace = namespace or DEFAULT_NAMESPACE
    instance = f"{getattr(settings, 'instance_name', 'main')}-{secrets.token_hex(4)}"
    client = sync_client(url)
    fanout = RedisChatFanout(async_client(url), instance, namespace=namespace)
    return SharedState(
        chat_hub=ChatHub(fanout),
        sign_in_throttle=RedisSignInThrottle(client, namespace=namespace),
        start_limiter=RedisStartLimiter(client, namespace=namespace),
        replay_guard=RedisReplayGuard(client, namespace=namespace),
        staff_session_store=RedisStaffSessionStore(client, namespace=namespace),
        client=client,
    )
