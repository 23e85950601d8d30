#!/usr/bin/env bash
# Trains the Rasa model only when its inputs changed: the fingerprint of the config,
# domain, training data and Rasa-side code is stored next to the model.
set -euo pipefail
cd "$(dirname "$0")/.."

INPUTS=(config.yml bot/domain bot/data nlu_data bot/requirements.txt)
[ -d bot/components ] && INPUTS+=(bot/components)
FINGERPRINT=$(find "${INPUTS[@]}" -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
MODEL=models/concierge.tar.gz

if [ -f "$MODEL" ] && [ "$(cat models/concierge.fingerprint 2>/dev/null)" = "$FINGERPRINT" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "[train] Model is up to date with its training data ($FINGERPRINT); not retraining."
  exit 0
fi
echo "[train] Training the Rasa model (inputs $FINGERPRINT) ..."
export SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false
start=$(date +%s)
.venv-rasa/bin/rasa train --data nlu_data bot/data --domain bot/domain --config config.yml \
  --out models --fixed-model-name concierge
echo "$FINGERPRINT" > models/concierge.fingerprint
echo "[train] Trained in $(( $(date +%s) - start )) s."
