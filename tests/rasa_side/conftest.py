"""Tests of the Rasa-side code (bot/components, bot/spacy_pipeline); they run in .venv-rasa.

The main suite (Python 3.11, no Rasa) skips collecting them and runs them instead through
``tests/bot_components/test_rasa_side_suite.py``, which starts
``.venv-rasa/bin/python -m pytest tests/rasa_side``.
"""

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

if importlib.util.find_spec("rasa") is None:  # the main environment: see the docstring
    collect_ignore_glob = ["test_*.py"]
else:
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    @pytest.fixture
    def model_storage(tmp_path):
        """A real Rasa model storage in a temporary folder."""
        (tmp_path / "storage").mkdir()
        return LocalModelStorage.create(tmp_path / "storage")

    @pytest.fixture
    def context():
        """The execution context Rasa hands a graph node."""
        from rasa.engine.graph import GraphSchema

        return ExecutionContext(GraphSchema({}), node_name="test_node")

    @pytest.fixture
    def resource():
        return Resource("test_resource")


@pytest.fixture
def catalogue_file(tmp_path):
    """A catalogue export like the exporter writes it."""
    path = tmp_path / "entities.json"
    path.write_text(
        json.dumps(
            {
                "titles": ["Rattan Wall Mirror", "Speckled Stoneware Mug", "Linen Cushion Cover"],
                "categories": ["home decor", "kitchen", "lighting"],
                "colours": ["Sage Green", "Navy", "Dusky Pink"],
            }
        )
    )
    return path


@pytest.fixture(scope="session")
def core_agent(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The project's policies trained on its domain, rules and stories (TED: two epochs),
    with the concierge channel's cuts of the policies installed before the model loads (the
    graph binds the policies' methods then), as in the served bot."""
    import yaml
    from rasa.core.agent import Agent
    from rasa.model_training import train_core

    from bot.deferred_policies import ask_ted_only_when_it_could_win
    from bot.rule_lookup import look_up_rules_without_the_whole_walk

    ask_ted_only_when_it_could_win()
    look_up_rules_without_the_whole_walk()
    folder = tmp_path_factory.mktemp("core_model")
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    config.pop("pipeline")
    for policy in config["policies"]:
        if policy["name"] == "TEDPolicy":
            policy["epochs"] = 2  # what TED predicts does not matter here, only who wins
    (folder / "config.yml").write_text(yaml.safe_dump(config))
    data = folder / "data"
    data.mkdir()
    (data / "core").symlink_to(ROOT / "bot" / "data")
    (data / "nlu").symlink_to(ROOT / "nlu_data")  # the retrieval intents' actions
    model = train_core(
        str(ROOT / "bot" / "domain"),
        str(folder / "config.yml"),
        str(data),
        str(folder / "models"),
        fixed_model_name="core",
        additional_arguments={"augmentation_factor": 0},
    )
    assert model, "the core model did not train"
    return Agent.load(model)


def story_events(domain: Any) -> list[list[Any]]:
    """The events of every end-to-end test story (bot/tests/test_stories), story by story."""
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    stories = []
    for path in sorted(Path(ROOT / "bot" / "tests" / "test_stories").glob("*.yml")):
        for step in YAMLStoryReader(domain).read_from_file(str(path)):
            stories.append(list(step.events))
    return stories
