"""``python -m console``: serve the console, or manage staff accounts.

python -m console                       # serve on settings.host:settings.console_port
python -m console users add EMAIL --role agent [--role marketer] [--name NAME]
                                        # prints a generated password, or reads one
                                        # from standard input with --password-stdin
python -m console users list
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys

from aiohttp import web

from concierge.settings import Settings, exits_on_settings_error
from console.models import ROLES
from console.staff.accounts import AccountError, StaffDirectory
from store.db import make_engine, make_session_factory, upgrade


def serve(settings: Settings) -> None:
    """Run the console until interrupted."""
    from console.app import create_app
    from console.middleware import ACCESS_LOGGER

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.console_port,
        # Paths only: queries carry staff searches by customer e-mail or name.
        access_log_class=ACCESS_LOGGER,
        print=lambda text: logging.getLogger("console").info(text.strip()),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the console (the default)")
    users = commands.add_parser("users", help="manage staff accounts").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="create a staff account")
    add.add_argument("email")
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=ROLES,
        help="a role of the account; repeat for several",
    )
    add.add_argument("--name", default=None, help="the name shown in the console")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of generating one",
    )
    users.add_parser("list", help="list staff accounts")
    return parser


def users_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``users add`` / ``users list``; returns the exit status."""
    upgrade(settings.db_url)
    engine = make_engine(settings.db_url)
    directory = StaffDirectory(make_session_factory(engine))
    try:
        if args.users_command == "list":
            for account in directory.accounts():
                state = "active" if account.active else "disabled"
                print(f"{account.email}\t{','.join(sorted(account.roles))}\t{state}")
            return 0
        generated = not args.password_stdin
        password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")
        try:
            account = directory.create_account(
                args.email, password, args.role, display_name=args.name
            )
        except AccountError as exc:
            print(f"cannot create the account: {exc}", file=sys.stderr)
            return 2
        roles = ", ".join(sorted(account.roles))
        print(f"created {account.email} with role(s) {roles}")
        if generated:
            print(f"password: {password}")
        return 0
    finally:
        engine.dispose()


@exits_on_settings_error
def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m console``."""
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "users":
        return users_command(args, settings)
    # Cookies, shop identities, the Rasa channel and /metrics: no secret, no console.
    settings.require("console_secret", "identity_secret", "channel_secret", "metrics_token")
    serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
