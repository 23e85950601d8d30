"""NLU cross-validation that scores only what the test suite checks (runs in .venv-rasa).

`rasa test nlu --cross-validation` trains a model per fold and then parses every example
twice: the fold's test part (the score) and its training part (a "train" score nobody reads
here). On this bot's data the second pass is a third of the run's time. This script is
Rasa 3.6's own ``cross_validate`` with the folds, training, parsing and reports unchanged,
minus the pass over the training part, and optionally minus pipeline components whose
output is not scored (``--without bot.components.gated_response_selector.GatedResponseSelector``:
the response selectors change neither the intent nor the entities, and train for a minute
per fold).

Usage:
    .venv-rasa/bin/python scripts/nlu_cross_validation.py --nlu nlu_data --domain bot/domain \
        --config config.yml --folds 3 --out OUT \
        [--without bot.components.gated_response_selector.GatedResponseSelector]

OUT gets Rasa's own intent_report.json and <extractor>_report.json files.
"""

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path


def parse_args(argv):
    """Command line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nlu", required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        help="drop pipeline components of this name (class name as in config.yml)",
    )
    return parser.parse_args(argv)


def pipeline_without(config, names):
    """The config with the named components left out of its pipeline."""
    dropped = {name for name in names}
    kept = [step for step in config["pipeline"] if step.get("name") not in dropped]
    return dict(config, pipeline=kept)


async def cross_validate_test_folds(data, folds, config, out):
    """Rasa's cross_validate, scoring the test part of each fold only."""
    import rasa.model_training
    from rasa.core.agent import Agent
    from rasa.nlu.test import (
        _get_active_entity_extractors,
        combine_result,
        evaluate_entities,
        evaluate_intents,
        generate_folds,
    )
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.utils.io import write_yaml

    intent_results, entity_results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        config_path = tmp_path / "config.yml"
        write_yaml(config, config_path)
        for fold, (train, test) in enumerate(generate_folds(folds, data), start=1):
            training_file = tmp_path / "training_data.yml"
            RasaYAMLWriter().dump(training_file, train)
            model_file = rasa.model_training.train_nlu(
                str(config_path), str(training_file), str(tmp_path)
            )
            processor = Agent.load(model_file).processor
            # Per-fold metrics Rasa would log as "test"; only the pooled results are scored.
            unused = (defaultdict(list), defaultdict(lambda: defaultdict(list)), defaultdict(list))
            await combine_result(*unused, processor, test, intent_results, entity_results, [])
            logging.getLogger(__name__).info("fold %d of %d scored", fold, folds)
    evaluate_intents(intent_results, out, False, True, True, report_as_dict=True)
    extractors = _get_active_entity_extractors(entity_results)
    evaluate_entities(entity_results, extractors, out, False, True, True, report_as_dict=True)


def main(argv):
    """Command line entry point."""
    args = parse_args(argv)
    # Custom components (bot.components...) import from the working directory, as under
    # the rasa command.
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger(__name__).setLevel(logging.INFO)
    from rasa.nlu.test import drop_intents_below_freq
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_dict(
        config_path=args.config, training_data_paths=[args.nlu], domain_path=args.domain
    )
    config = pipeline_without(importer.get_config(), args.without)
    data = drop_intents_below_freq(importer.get_nlu_data(), cutoff=args.folds)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    asyncio.run(cross_validate_test_folds(data, args.folds, config, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
