"""Tests of the Rasa-side code (bot/components, bot/spacy_pipeline); they run in .venv-rasa.

The main suite (Python 3.11, no Rasa) skips collecting them and runs them instead through
``tests/bot_components/test_rasa_side_suite.py``, which starts
``.venv-rasa/bin/python -m pytest tests/rasa_side``.
"""

import importlib.util
import json
from pathlib import Path

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
