"""config.yml's NLU pipeline, trained small: who extracts which entity, and the intents.

The project's spaCy pipeline is built here from a tiny catalogue (config.yml points at
var/spacy/concierge_en, which scripts/train.sh builds from the shop's catalogue).
"""

import asyncio

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.model_training import train_nlu

from bot.spacy_pipeline.builder import build
from tests.rasa_side.conftest import ROOT
from tests.rasa_side.test_candidate_config import NLU


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("project_config")
    catalogue = folder / "entities.json"
    catalogue.write_text(
        '{"titles": ["Rattan Wall Mirror"], "categories": ["home decor", "kitchen"], '
        '"colours": ["Sage Green"]}'
    )
    spacy_dir = build(catalogue, folder / "spacy_en")
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    [spacy_nlp] = [c for c in config["pipeline"] if c["name"] == "SpacyNLP"]
    assert spacy_nlp["model"] == "var/spacy/concierge_en"  # what scripts/train.sh builds
    spacy_nlp["model"] = str(spacy_dir)
    for component in config["pipeline"]:
        if "epochs" in component:
            component["epochs"] = 5  # the wiring is under test here, not the accuracy
    (folder / "config.yml").write_text(yaml.safe_dump(config))
    (folder / "nlu.yml").write_text(NLU)
    model = train_nlu(
        str(folder / "config.yml"),
        str(folder / "nlu.yml"),
        str(folder / "models"),
        fixed_model_name="project",
    )
    return Agent.load(model)


def parse(agent, text):
    return asyncio.run(agent.parse_message(text))


def by_extractor(result, extractor):
    return {(e["entity"], e["value"]) for e in result["entities"] if e["extractor"] == extractor}


def test_catalogue_words_and_amounts_come_from_spacy(agent):
    result = parse(agent, "something in sage green for the kitchen under £30")
    assert by_extractor(result, "SpacyEntityExtractor") == {
        ("colour", "sage green"),
        ("category", "kitchen"),
        ("amount", "£30"),
    }


def test_order_numbers_and_products_are_left_to_diet_so_forms_get_one_value(agent):
    result = parse(agent, "return the rattan wall mirror from order 10234, it came broken")
    spacy_labels = {label for label, _ in by_extractor(result, "SpacyEntityExtractor")}
    assert spacy_labels.isdisjoint({"order_number", "product", "email", "return_number"})


def test_intents_come_from_the_linear_classifier_over_spacy_tokens(agent):
    result = parse(agent, "where is my parcel")
    assert result["intent"]["name"] == "order_status"
    assert parse(agent, "good morning")["intent"]["name"] == "greet"
