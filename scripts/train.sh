#!/usr/bin/env bash
# Trains the Rasa model only when its inputs changed: the fingerprint of the config,
# domain, training data and Rasa-side code is stored next to the model.
set -euo pipefail
cd "$(dirname "$0")/.."

# The NLU pipeline's spaCy model (config.yml: SpacyNLP) is the project's own: its
# EntityRuler knows the shop's catalogue. The catalogue crosses from the main environment
# to the Rasa one as a file; each step rewrites its output only when the catalogue changed.
CATALOGUE=var/catalogue/entities.json
SPACY_MODEL=var/spacy/concierge_en
.venv/bin/python -m store.catalogue_export --out "$CATALOGUE"
.venv-rasa/bin/python -m bot.spacy_pipeline "$CATALOGUE" "$SPACY_MODEL"

INPUTS=(config.yml bot/domain bot/data nlu_data bot/requirements.txt bot/components
  bot/spacy_pipeline "$SPACY_MODEL/catalogue.sha256")
FINGERPRINT=$(find "${INPUTS[@]}" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
MODEL=models/concierge.tar.gz

if [ -f "$MODEL" ] && [ "$(cat models/concierge.fingerprint 2>/dev/null)" = "$FINGERPRINT" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "[train] Model is up to date with its training data ($FINGERPRINT); not retraining."
  exit 0
fi
echo "[train] Training the Rasa model (inputs $FINGERPRINT) ..."
start=$(date +%s)
# `rasa train` with this layout's --domain/--data/--config (the flags make validate and shell
# use too: concierge/rasa_cli.py).
.venv/bin/python -m concierge.rasa_cli train --out models --fixed-model-name concierge
echo "$FINGERPRINT" > models/concierge.fingerprint
echo "[train] Trained in $(( $(date +%s) - start )) s."
