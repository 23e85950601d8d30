"""``python -m console``: serve the console on settings.host:settings.console_port."""

from __future__ import annotations

import logging

from aiohttp import web

from concierge.settings import Settings
from console.app import create_app


def main() -> None:
    """Run the console until interrupted."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.console_port,
        print=lambda text: logging.getLogger("console").info(text.strip()),
    )


if __name__ == "__main__":
    main()
