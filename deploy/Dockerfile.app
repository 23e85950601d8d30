# Concierge's main environment on Python 3.11 (requirements/main.lock): one image for the
# action server, the console and the store's one-shot migration (compose gives the command).
# Built by `docker compose build` from deploy/ (context: the repository root, limited by
# Dockerfile.app.dockerignore). The recsys artifacts are mounted, not built in.
FROM python:3.11-slim

# The lock pins torch's CPU build (torch==X+cpu), which lives on PyTorch's own index; any
# other torch would pull a multi-GB CUDA build. Override to use a mirror or a wheelhouse.
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Every package pinned, installed with --no-deps as scripts/setup.sh does.
COPY requirements/main.lock requirements/main.lock
RUN python -m venv /app/.venv \
 && /app/.venv/bin/pip install --no-deps -r requirements/main.lock

# The project's packages, run from /app like a checkout (concierge.settings.ROOT is /app);
# the console's staff pages also read the bot's domain, NLU data and config.
COPY concierge concierge
COPY store store
COPY actions actions
COPY recsys recsys
COPY promotions promotions
COPY console console
COPY demo_shop demo_shop
COPY bot/domain bot/domain
COPY nlu_data nlu_data
COPY config.yml config.yml

RUN useradd --uid 10001 --create-home concierge \
 && mkdir -p /app/var/artifacts \
 && chown concierge /app /app/var
USER concierge
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONPATH=/app \
    HF_HUB_OFFLINE=1

EXPOSE 5055 5056 8080
CMD ["/app/.venv/bin/python", "-m", "console"]
