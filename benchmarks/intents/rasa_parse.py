"""Runs inside the Rasa environment: parses messages with a trained model and times each one.

Usage (by the harness, never imported by it):
    .venv-rasa/bin/python benchmarks/intents/rasa_parse.py MODEL.tar.gz TEXTS.json OUT.json

TEXTS.json is a JSON list of strings. OUT.json gets, per text, the best intent other than
``nlu_fallback`` with its confidence, the intent Rasa itself returned, and the seconds
``Agent.parse_message`` took; plus the model's load time. With an
OutOfDistributionRejector in the pipeline, also the message's distance to the training
data and whether the component rejected it; the best intent is then the classifier's own,
so a confidence threshold is scored on what the classifier said. Only the standard library and
Rasa are imported here, so the script runs on Python 3.10 with Rasa 3.6.
"""

import asyncio
import json
import logging
import os
import sys
import time

FALLBACK = "nlu_fallback"
# Untimed parses first: the first calls trace TensorFlow graphs and fill caches.
WARM_UP = 5


OUT_OF_DISTRIBUTION = "out_of_distribution"


def best_intent(result):
    """The classifier's best intent that is not Rasa's fallback, and its confidence."""
    classifier = (result.get(OUT_OF_DISTRIBUTION) or {}).get("classifier_intent")
    if classifier and classifier.get("name") not in (None, FALLBACK):
        return classifier["name"], float(classifier.get("confidence") or 0.0)
    for entry in result.get("intent_ranking") or []:
        if entry.get("name") and entry["name"] != FALLBACK:
            return entry["name"], float(entry.get("confidence") or 0.0)
    intent = result.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


async def parse_all(model_path, texts):
    """Loads the model and parses every text, one message at a time."""
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model_path)
    load_seconds = time.perf_counter() - started
    for text in texts[:WARM_UP]:
        await agent.parse_message(text)
    rows = []
    for text in texts:
        started = time.perf_counter()
        result = await agent.parse_message(text)
        seconds = time.perf_counter() - started
        intent, confidence = best_intent(result)
        returned = (result.get("intent") or {}).get("name")
        row = {"intent": intent, "confidence": confidence, "returned": returned, "seconds": seconds}
        distance = result.get(OUT_OF_DISTRIBUTION)
        if distance:
            row["distance"] = float(distance["distance"])
            row["rejected"] = bool(distance["rejected"])
        rows.append(row)
    return {"load_seconds": load_seconds, "predictions": rows}


def main(argv):
    """Command line entry point."""
    if len(argv) != 3:
        sys.stderr.write("usage: rasa_parse.py MODEL.tar.gz TEXTS.json OUT.json\n")
        return 2
    model_path, texts_path, out_path = argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING)
    with open(texts_path, encoding="utf-8") as handle:
        texts = json.load(handle)
    result = asyncio.run(parse_all(model_path, texts))
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
