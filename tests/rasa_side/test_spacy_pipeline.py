"""The project's spaCy pipeline: built from a catalogue export, loaded by Rasa's SpacyNLP."""

import json

import pytest
import spacy
from rasa.nlu.extractors.spacy_entity_extractor import SpacyEntityExtractor
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.spacy_pipeline.__main__ import main
from bot.spacy_pipeline.builder import CatalogueError, build, load_catalogue


@pytest.fixture
def built(tmp_path, catalogue_file):
    out = tmp_path / "spacy_en"
    assert build(catalogue_file, out) == out
    return out


def found(nlp, text):
    return [(ent.label_, ent.text) for ent in nlp(text).ents]


def test_catalogue_titles_colours_and_categories_are_entities(built):
    nlp = spacy.load(built)
    assert found(nlp, "Is the rattan wall mirror available in sage green?") == [
        ("product", "rattan wall mirror"),
        ("colour", "sage green"),
    ]
    assert found(nlp, "anything new in Home Decor") == [("category", "Home Decor")]


@pytest.mark.parametrize(
    "text, entity",
    [
        ("where is order 10234", ("order_number", "10234")),
        ("my credit note C536379", ("order_number", "C536379")),
        ("status of return R-10015", ("return_number", "R-10015")),
        ("my e-mail is anna.b@example.co.uk", ("email", "anna.b@example.co.uk")),
        ("it cost £45.50", ("amount", "£45.50")),
        ("refund 20 pounds", ("amount", "20 pounds")),
    ],
)
def test_rules_find_numbers_emails_and_amounts(built, text, entity):
    assert found(spacy.load(built), text) == [entity]


def test_a_four_digit_number_is_not_an_order_number(built):
    assert found(spacy.load(built), "i ordered 1000 mugs") == []


def test_lookup_lemmatizer_travels_inside_the_saved_pipeline(built):
    assert [t.lemma_ for t in spacy.load(built)("mugs were delivered")] == ["mug", "be", "deliver"]


def test_rasa_spacy_nlp_loads_it_by_path_and_extracts_the_entities(
    built, model_storage, resource, context
):
    nlp = SpacyNLP.create({"model": str(built)}, model_storage, resource, context)
    message = Message(data={TEXT: "Return the Speckled Stoneware Mug from order 10234"})
    nlp.process([message], nlp.provide())
    SpacyTokenizer(SpacyTokenizer.get_default_config()).process([message])
    extractor = SpacyEntityExtractor({"dimensions": ["product", "order_number"]})
    extractor.process([message], nlp.provide())
    entities = [(e["entity"], e["value"]) for e in message.get(ENTITIES)]
    assert entities == [("product", "Speckled Stoneware Mug"), ("order_number", "10234")]


def test_an_unchanged_catalogue_is_not_rebuilt_and_a_changed_one_is(built, catalogue_file):
    assert build(catalogue_file, built) is None
    data = json.loads(catalogue_file.read_text())
    data["titles"].append("Brass Table Lamp")
    catalogue_file.write_text(json.dumps(data))
    assert build(catalogue_file, built) == built
    assert found(spacy.load(built), "my brass table lamp") == [("product", "brass table lamp")]


def test_a_catalogue_without_colours_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"titles": ["Mug"], "categories": ["kitchen"]}))
    with pytest.raises(CatalogueError, match="`colours` must be a list of strings"):
        load_catalogue(path)


def test_command_line_reports_a_missing_export_without_a_traceback(tmp_path, capsys):
    assert main([str(tmp_path / "missing.json"), str(tmp_path / "out")]) == 1
    assert "no catalogue export at" in capsys.readouterr().err
