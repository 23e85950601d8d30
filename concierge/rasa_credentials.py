"""The credentials file Rasa is started with: the project's, plus Telegram when configured.

Rasa expands ``${VARS}`` in its credentials and stops on a missing one, so a channel that is
off must not be listed at all. Without Telegram settings Rasa gets ``credentials.yml`` as it
is; with them, a generated copy under ``var/rasa/`` that adds the Telegram channel. Its
values stay ``${VARIABLES}`` filled from Rasa's environment (:func:`telegram_env`), so the
bot token is never written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from concierge.settings import ROOT, Settings

PROJECT_CREDENTIALS = ROOT / "credentials.yml"
# The channel class in bot/channels/telegram.py, as credentials.yml names channels.
TELEGRAM_CHANNEL = "bot.channels.ConciergeTelegramInput"
TELEGRAM_BLOCK = f"""
# Added by concierge/rasa_credentials.py because TELEGRAM_BOT_TOKEN is set.
{TELEGRAM_CHANNEL}:
  access_token: ${{TELEGRAM_BOT_TOKEN}}
  verify: ${{TELEGRAM_BOT_NAME}}
  webhook_url: ${{TELEGRAM_WEBHOOK_URL}}
  secret_token: ${{TELEGRAM_SECRET_TOKEN}}
  api_url: ${{TELEGRAM_API_URL}}
  handoff_url: ${{CONCIERGE_HANDOFF_URL}}
  handoff_secret: ${{CONCIERGE_CHANNEL_SECRET}}
"""
# Where the channel asks whether an agent holds a conversation (console/handoff/relay.py).
HANDOFF_PATH = "/handoff/customer-messages"


def telegram_webhook_secret(settings: Settings) -> str:
    """The webhook's secret header value: the configured one, else one from channel_secret.

    Derived, it needs no configuring of its own and is the same on every Rasa instance.
    """
    if settings.telegram_secret_token:
        return settings.telegram_secret_token
    digest = hmac.new(settings.channel_secret.encode(), b"telegram-webhook", hashlib.sha256)
    return digest.hexdigest()


def telegram_env(settings: Settings) -> dict[str, str]:
    """What the generated credentials expand; nothing when Telegram is off."""
    if not settings.telegram_enabled:
        return {}
    return {
        "TELEGRAM_BOT_TOKEN": settings.telegram_token,
        "TELEGRAM_BOT_NAME": settings.telegram_bot_name,
        "TELEGRAM_WEBHOOK_URL": settings.telegram_webhook_url,
        "TELEGRAM_SECRET_TOKEN": telegram_webhook_secret(settings),
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "CONCIERGE_HANDOFF_URL": settings.console_url + HANDOFF_PATH,
    }


def credentials_path(settings: Settings) -> Path:
    """The file to pass as ``rasa run --credentials``, written first when it is generated."""
    if not settings.telegram_enabled:
        # Relative to the project, where Rasa runs: the same argument as before Telegram,
        # and the one deploy/compose.yml spells out (tests/deploy/test_compose.py).
        return PROJECT_CREDENTIALS.relative_to(ROOT)
    suffix = "" if settings.instance_name == "main" else f"-{settings.instance_name}"
    target = settings.var_dir / "rasa" / f"credentials{suffix}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = PROJECT_CREDENTIALS.read_text().rstrip("\n") + "\n" + TELEGRAM_BLOCK
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text)
    tmp.replace(target)
    return target
