"""benchmarks/configs/concierge_minilm.yml trains with Rasa and parses as the bot will use it."""

import asyncio

import numpy as np
import pytest
import yaml
from rasa.core.agent import Agent
from rasa.model_training import train_nlu

from bot.components.linear_intent_classifier import fit_softmax
from bot.spacy_pipeline.builder import build
from tests.rasa_side.conftest import ROOT

NLU = """\
version: "3.1"
nlu:
- intent: order_status
  examples: |
    - where is my order [10234](order_number)
    - has order [C536379](order_number) shipped
    - track my parcel
    - when will my order arrive
    - status of order [55321](order_number) please
    - is my package on its way
- intent: return_item
  examples: |
    - i want to return the lamp, it arrived [damaged](return_reason)
    - the mug is [the wrong colour](return_reason), can i send it back
    - return my cushion cover please
    - how do i send back an item
    - the vase came [broken](return_reason), i want a refund
    - i'd like to return something
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey
    - hiya
    - good evening
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("candidate")
    catalogue = folder / "entities.json"
    catalogue.write_text(
        '{"titles": ["Rattan Wall Mirror"], "categories": ["home decor"], '
        '"colours": ["Sage Green"]}'
    )
    spacy_dir = build(catalogue, folder / "spacy_en")
    config = yaml.safe_load((ROOT / "benchmarks/configs/concierge_minilm.yml").read_text())
    for component in config["pipeline"]:
        if component["name"] == "SpacyNLP":
            component["model"] = str(spacy_dir)
        if "epochs" in component:
            component["epochs"] = 2  # the pipeline is under test here, not its accuracy
    (folder / "config.yml").write_text(yaml.safe_dump(config))
    (folder / "nlu.yml").write_text(NLU)
    model = train_nlu(
        str(folder / "config.yml"),
        str(folder / "nlu.yml"),
        str(folder / "models"),
        fixed_model_name="candidate",
    )
    return Agent.load(model)


def parse(agent, text):
    return asyncio.run(agent.parse_message(text))


def test_intent_comes_from_the_linear_classifier(agent):
    result = parse(agent, "where is my parcel")
    assert result["intent"]["name"] == "order_status"
    assert result["intent_ranking"][0]["confidence"] > 0.5


def test_rule_and_catalogue_entities_come_from_spacy(agent):
    result = parse(agent, "I want to return the rattan wall mirror from order 10234")
    found = {(e["entity"], e["value"], e["extractor"]) for e in result["entities"]}
    assert ("product", "rattan wall mirror", "SpacyEntityExtractor") in found
    assert ("order_number", "10234", "SpacyEntityExtractor") in found


def test_fit_softmax_reaches_scikit_learns_multinomial_solution():
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    dense = rng.normal(size=(120, 5))
    counts = sparse.random(120, 30, density=0.2, random_state=1, format="csr")
    y = (dense[:, 0] + 2 * counts[:, 0].toarray().ravel() > 0).astype(int) + (dense[:, 1] > 1)
    coef, intercept = fit_softmax(counts, dense, y, 3, C=2.0, max_iter=500)
    reference = LogisticRegression(C=2.0, max_iter=5000, tol=1e-10, multi_class="multinomial")
    reference.fit(sparse.hstack([counts, sparse.csr_matrix(dense)]).tocsr(), y)
    ours = np.asarray(counts @ coef[:30]) + dense @ coef[30:] + intercept
    theirs = reference.decision_function(sparse.hstack([counts, sparse.csr_matrix(dense)]))

    # Softmax is shift-invariant per row: compare probabilities, not raw scores.
    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert np.allclose(softmax(ours), softmax(theirs), atol=1e-3)
