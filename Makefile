# Concierge: two commands do everything on a fresh machine.
#   make demo   set up, generate the demo data, train, run every service
#   make test   the same set-up, then the whole test suite
PY := .venv/bin/python
SHELL := /bin/bash

.PHONY: setup data train demo test lint clean

setup:
	@bash scripts/setup.sh

# Demo shop, sample campaigns with their simulated history, then the recommendation,
# propensity and segment models (each step skips itself when its input is unchanged).
data: setup
	@$(PY) -m store generate --if-missing
	@$(PY) -m promotions demo
	@$(PY) -m recsys train

# Training reads the catalogue from the store (spaCy's entity patterns), so data comes first.
train: data
	@bash scripts/train.sh

demo: data train
	@$(PY) -m concierge.stack

test: data train
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	@.venv/bin/ruff check .

clean:
	rm -rf var models
