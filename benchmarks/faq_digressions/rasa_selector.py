"""Runs inside the Rasa environment: the FAQ selector's pick for every NLU training example.

Usage (by ``python -m benchmarks.faq_digressions``, never imported by it):
    .venv-rasa/bin/python benchmarks/faq_digressions/rasa_selector.py MODEL.tar.gz NLU_DIR OUT.json

OUT.json gets, per training example, its text, its labelled intent (``faq/<topic>`` for
the retrieval intent), and what the served model's ``faq`` ResponseSelector put into
``response_selector`` for it: the topic key and its confidence. The served selector runs
on every question a form would weigh, whatever the intent (``for_form_questions``, the
same ``could_digress`` the table below keeps), which is what a form's validator sees;
other examples have no pick unless faq is in play. Only the
standard library and Rasa are imported here, so the script runs on Python 3.10.
"""

import asyncio
import json
import logging
import os
import sys

RETRIEVAL_INTENT = "faq"


def selector_pick(result):
    """(intent_response_key, confidence) of the faq selector in a parse result."""
    selector = (result.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    response = selector.get("response") or {}
    return response.get("intent_response_key"), float(response.get("confidence") or 0.0)


async def pick_all(model_path, nlu_dir):
    """Loads the model and the training data, and parses every example once."""
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    agent = Agent.load(model_path)
    data = load_data(nlu_dir)
    rows = []
    for example in data.intent_examples:
        text = example.get("text")
        intent = example.get("intent")
        key = example.get("intent_response_key") or intent
        result = await agent.parse_message(text)
        picked, confidence = selector_pick(result)
        rows.append(
            {
                "text": text,
                "label": key,
                "intent": (result.get("intent") or {}).get("name"),
                "faq_key": picked,
                "faq_confidence": confidence,
            }
        )
    return rows


def main(argv):
    """Command line entry point."""
    if len(argv) != 3:
        sys.stderr.write("usage: rasa_selector.py MODEL.tar.gz NLU_DIR OUT.json\n")
        return 2
    model_path, nlu_dir, out_path = argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING)
    rows = asyncio.run(pick_all(model_path, nlu_dir))
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(rows, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
