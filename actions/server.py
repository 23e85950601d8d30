"""The Concierge action server: rasa_sdk's app, its Prometheus figures and a warm-up.

Started as ``python -m actions --actions actions --port 5055`` (rasa_sdk's own arguments,
see ``actions/__main__.py``); it runs rasa_sdk's app. Sanic serves it from a worker
process, so the warm-up and the metrics endpoint start in that worker
(``before_server_start``), where the actions run: the models load while Rasa is still
starting, not during a customer's turn.

Once the warm-up has loaded the models, everything alive is frozen out of Python's cyclic
garbage collector (``gc.freeze``): Rasa sends the whole tracker with every call, so parsing a
long conversation's call allocates enough objects to start full collections, and each one
walked the loaded models (tens of ms per call at 500 events; ``benchmarks/action_calls.py``).

Only Rasa may run an action: every request but ``/health`` must carry
``settings.action_token`` in the ``X-Concierge-Action-Token`` header (endpoints.yml sends
it); anything else gets a 403 before rasa_sdk sees the request, so nothing runs.
"""

from __future__ import annotations

import gc
import hmac
import logging
import threading
from collections.abc import Awaitable, Callable
from functools import partial

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sanic.worker.loader import AppLoader

from actions.metrics import serve_metrics
from actions.services import warm_up
from concierge.settings import Settings, exits_on_settings_error

logger = logging.getLogger(__name__)

# The header carrying settings.action_token on Rasa's calls (endpoints.yml, action_endpoint).
ACTION_TOKEN_HEADER = "X-Concierge-Action-Token"
# What the supervisor and load balancers may ask without the token.
OPEN_PATHS = frozenset({"/health"})


def warm_up_and_freeze() -> bool:
    """Load store and models, then keep what is alive out of the collector's full passes.

    Objects alive after the warm-up (modules, models, the catalogue) live as long as the
    process; frozen, a full collection walks only what calls allocate since. Returns what
    :func:`warm_up` returned.
    """
    ready = warm_up()
    gc.collect()
    gc.freeze()
    logger.info(
        "Warm-up: %d long-lived objects frozen out of the collector.", gc.get_freeze_count()
    )
    return ready


async def start_in_worker(app: Sanic) -> None:
    """Serve the action metrics and load store and models in the serving process."""
    # A spawned worker starts with Python's default logging (warnings only); the model
    # versions and store location the warm-up logs are INFO.
    utils.configure_colored_logging("INFO")
    settings = Settings.from_env()
    serve_metrics(settings.action_host, settings.action_metrics_port)
    target = warm_up_and_freeze if app.ctx.freeze_after_warm_up else warm_up
    threading.Thread(target=target, name="concierge-warm-up", daemon=True).start()


def refuse_without_token(
    action_token: str,
) -> Callable[[Request], Awaitable[HTTPResponse | None]]:
    """A request middleware answering 403 to any call without ``action_token``."""
    expected = action_token.encode()

    async def check_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        sent = request.headers.get(ACTION_TOKEN_HEADER, "").encode()
        # An empty expected token (never configured) matches nothing.
        if expected and hmac.compare_digest(sent, expected):
            return None
        # Who and where, never the body: it holds the customer's slots and messages.
        logger.warning(
            "Refused %s %s without the action token from %s.",
            request.method,
            request.path,
            request.ip,
        )
        return json({"error": "forbidden"}, status=403)

    return check_token


def create_app(
    action_executor: ActionExecutor,
    action_token: str,
    *,
    freeze_after_warm_up: bool = True,
    **options: object,
) -> Sanic:
    """rasa_sdk's app behind the token check, plus the start-up listener (Sanic pickles it).

    ``freeze_after_warm_up=False`` keeps Python's default collector, for the benchmark's
    before-and-after run (``benchmarks/action_calls.py``).
    """
    app = create_app_for_serve(action_executor, **options)
    app.ctx.freeze_after_warm_up = freeze_after_warm_up
    app.register_middleware(refuse_without_token(action_token), "request")
    app.register_listener(start_in_worker, "before_server_start")
    return app


@exits_on_settings_error
def main(app_factory: Callable[..., Sanic] = create_app) -> None:
    """Parse rasa_sdk's arguments, register the actions and serve on the configured host.

    ``app_factory`` (importable: Sanic's worker process calls it) replaces
    :func:`create_app` for the benchmark's before-and-after run.
    """
    args = create_argument_parser().parse_args()
    settings = Settings.from_env()  # first: bad configuration stops before any import
    settings.require("action_token")
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(
        factory=partial(
            app_factory,
            executor,
            settings.action_token,
            cors_origins=args.cors,
            auto_reload=args.auto_reload,
            endpoints=args.endpoints,
        )
    )
    app = loader.load()
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("Action server on %s:%s", settings.action_host, args.port)
    app.prepare(host=settings.action_host, port=args.port, ssl=ssl, workers=1)
    Sanic.serve(primary=app, app_loader=loader)
