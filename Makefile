# Concierge: two commands do everything on a fresh machine.
#   make demo   set up, generate the demo data, train, run every service
#   make test   the same set-up, then the whole test suite
# Rasa's own commands, with this repository's --domain/--data/--config/--endpoints
# (concierge/rasa_cli.py passes them):
#   make validate      rasa data validate
#   make actions       the action server in the foreground (what shell calls)
#   make shell         rasa shell against the running action server (`make actions` first)
# (these three run in demo mode: they share the action token of var/secrets.json unless
# CONCIERGE_ACTION_TOKEN is set)
# Habits: make lint (ruff + mypy), make lock (upgrade the pinned installs).
PY := .venv/bin/python
SHELL := /bin/bash

.PHONY: setup engines data train demo demo-scale test bench lint lock validate actions shell clean

setup:
	@bash scripts/setup.sh

# Debian's postgresql, redis-server, rabbitmq-server and nginx, for the scaled topology and
# its tests only (installed when missing; `make demo` does not need them).
engines: setup
	@bash scripts/setup.sh --engines

# Demo shop, sample campaigns with their simulated history, then the recommendation,
# propensity and segment models (each step skips itself when its input is unchanged).
data: setup
	@$(PY) -m store generate --if-missing
	@$(PY) -m promotions demo
	@$(PY) -m recsys train

# Training reads the catalogue from the store (spaCy's entity patterns), so data comes first.
train: data
	@bash scripts/train.sh

# Demo mode: the customer picker, the demo shop page and generated secrets (var/secrets.json).
demo: data train
	@CONCIERGE_DEMO=1 $(PY) -m concierge.stack

# The scaled topology on this machine: PostgreSQL, Redis, RabbitMQ, nginx in front of
# N (default 2) action servers, Rasa servers and consoles (concierge/scale.py).
N ?= 2
demo-scale: engines data train
	@CONCIERGE_DEMO=1 $(PY) -m concierge.stack --scale $(N)

test: engines data train
	@$(PY) -m pytest $(PYTEST_ARGS)

# The benchmarks that drive the whole stack (BENCHMARKS.md): whole dialogues off the happy
# path (issue 14), then whole-conversation load on the embedded and scaled stacks against
# Rasa's own bot (issue 13). Both print their figures; neither fails on a low one.
bench: engines data train
	@$(PY) -m benchmarks.dialogues
	@nice -n 10 $(PY) -m benchmarks.load

validate: setup
	@$(PY) -m concierge.rasa_cli validate $(RASA_ARGS)

actions: data
	@CONCIERGE_DEMO=1 $(PY) -m concierge.rasa_cli actions $(RASA_ARGS)

shell: train
	@CONCIERGE_DEMO=1 $(PY) -m concierge.rasa_cli shell $(RASA_ARGS)


# ruff on everything (bot/ as Python 3.10), then mypy on the main environment's packages
# ([tool.mypy] in pyproject.toml). Both run even when the first fails.
lint: setup
	@status=0; \
	.venv/bin/ruff check . || status=1; \
	.venv/bin/ruff format --check . || status=1; \
	.venv/bin/mypy || status=1; \
	exit $$status

# Re-resolve both lock files (requirements/main.lock, bot/requirements.lock) to the newest
# versions the requirements allow, then install them. KEEP=1 keeps the locked versions and
# resolves only what is new (what setup does by itself when a requirement changed).
lock: setup
	@$(PY) scripts/lock.py $(if $(KEEP),--keep)
	@bash scripts/setup.sh

clean:
	rm -rf var models
