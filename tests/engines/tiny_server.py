"""A tiny aiohttp server for the nginx tests: says who it is, echoes a WebSocket.

Run as ``python tiny_server.py NAME PORT``; it answers ``GET /`` with its name and the
forwarding headers it received, and echoes text on ``/ws``.
"""

from __future__ import annotations

import sys

from aiohttp import WSMsgType, web


def create_app(name: str) -> web.Application:
    async def whoami(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "name": name,
                "forwarded_for": request.headers.get("X-Forwarded-For"),
                "forwarded_proto": request.headers.get("X-Forwarded-Proto"),
            }
        )

    async def echo(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await socket.send_str(f"{name}:{message.data}")
        return socket

    app = web.Application()
    app.router.add_get("/", whoami)
    app.router.add_get("/ws", echo)
    return app


if __name__ == "__main__":
    web.run_app(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), print=None)
