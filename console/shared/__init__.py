"""What several console instances behind one load balancer share, in Redis.

With ``CONCIERGE_REDIS_URL`` set, every console process keeps its chat sockets locally and
shares the rest: agent messages reach a customer's socket on whichever instance holds it
(pub/sub, ``chat_fanout``), who is connected (presence with a TTL), the sign-in throttle,
the chat-start limit and the identity replay guard (``limits``), and the staff sessions
(``staff_sessions``). ``wiring.SharedState`` builds them from the settings; without a Redis
URL the embedded in-memory and SQL pieces stay. ``middleware`` believes a trusted load
balancer's ``X-Forwarded-For`` and turns a Redis outage into a clear 503.
"""
