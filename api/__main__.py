"""``python -m api``: serve the API, or manage its keys.

python -m api                                   # serve on API_HOST:API_PORT
python -m api keys create NAME --scope SCOPE    # repeat --scope; prints the key once
python -m api keys list
python -m api keys revoke KEY_ID
"""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from concierge.settings import Settings, exits_on_settings_error
from store.api_keys import SCOPES, ApiKeyError, ApiKeys
from store.db import make_engine, make_session_factory, upgrade


def serve(settings: Settings) -> None:
    """Run the API until interrupted."""
    from api.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        access_log=None,  # api.call_log logs each call without ids from the path
        print=lambda text: logging.getLogger("api").info(text.strip()),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the API (the default)")
    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key and print it once")
    create.add_argument("name", help="who uses the key, e.g. 'newsletter tool'")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=sorted(SCOPES),
        help="what the key may read; repeat for several",
    )
    keys.add_parser("list", help="list keys (never their secrets)")
    revoke = keys.add_parser("revoke", help="revoke a key: it gets 401 from then on")
    revoke.add_argument("key_id", help="the id `keys list` shows")
    return parser


def keys_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``keys create|list|revoke``; returns the exit status."""
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    keys = ApiKeys(make_session_factory(engine))
    try:
        if args.keys_command == "list":
            for key in keys.list():
                state = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
                created = f"{key.created_at:%Y-%m-%d %H:%M}"
                print(f"{key.key_id}\t{key.name}\t{','.join(key.scopes)}\t{created}\t{state}")
            return 0
        try:
            if args.keys_command == "revoke":
                key = keys.revoke(args.key_id)
                print(f"revoked {key.key_id} ({key.name})")
                return 0
            key, token = keys.create(args.name, args.scope)
        except ApiKeyError as exc:
            print(f"cannot {args.keys_command} the key: {exc}", file=sys.stderr)
            return 2
        print(f"created {key.key_id} ({key.name}) with scope(s) {', '.join(key.scopes)}")
        print(f"key: {token}")
        print("Keep it now: it is not stored and cannot be shown again.")
        return 0
    finally:
        engine.dispose()


@exits_on_settings_error
def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m api``."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "keys":
        return keys_command(args, settings)
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
