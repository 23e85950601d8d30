"""The Concierge action server: rasa_sdk's app, its Prometheus figures and a warm-up.

Started as ``python -m actions --actions actions --port 5055`` (rasa_sdk's own arguments,
see ``actions/__main__.py``); it runs rasa_sdk's app. Sanic serves it from a worker
process, so the warm-up and the metrics endpoint start in that worker
(``before_server_start``), where the actions run: the models load while Rasa is still
starting, not during a customer's turn.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sanic.worker.loader import AppLoader

from actions.metrics import serve_metrics
from actions.services import warm_up
from concierge.settings import Settings, exits_on_settings_error

logger = logging.getLogger(__name__)


async def start_in_worker(app: Sanic) -> None:
    """Serve the action metrics and load store and models in the serving process."""
    # A spawned worker starts with Python's default logging (warnings only); the model
    # versions and store location the warm-up logs are INFO.
    utils.configure_colored_logging("INFO")
    settings = Settings.from_env()
    serve_metrics(settings.host, settings.action_metrics_port)
    threading.Thread(target=warm_up, name="concierge-warm-up", daemon=True).start()


def create_app(action_executor: ActionExecutor, **options: object) -> Sanic:
    """rasa_sdk's app plus the Concierge start-up listener (module level: Sanic pickles it)."""
    app = create_app_for_serve(action_executor, **options)
    app.register_listener(start_in_worker, "before_server_start")
    return app


@exits_on_settings_error
def main() -> None:
    """Parse rasa_sdk's arguments, register the actions and serve on the configured host."""
    args = create_argument_parser().parse_args()
    settings = Settings.from_env()  # first: bad configuration stops before any import
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
            create_app,
            executor,
            cors_origins=args.cors,
            auto_reload=args.auto_reload,
            endpoints=args.endpoints,
        )
    )
    app = loader.load()
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    logger.info("Action server on %s:%s", settings.host, args.port)
    app.prepare(host=settings.host, port=args.port, ssl=ssl, workers=1)
    Sanic.serve(primary=app, app_loader=loader)
