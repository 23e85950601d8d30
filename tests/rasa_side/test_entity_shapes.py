"""Entities whose value cannot be what they name are dropped before slots are filled.

DIET tagged "third" in an angry sentence as an order number (0.99 sure), and Rasa stored
it in ``order_number`` before a validator ran (issue 14). The filter runs on the parse
result exactly as the pipeline hands it over.
"""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.entity_shapes import DROPPED_KEY, EntityShapeFilter


def make(config=None):
    full = {**EntityShapeFilter.get_default_config(), **(config or {})}
    return EntityShapeFilter.create(
        full, None, Resource("shapes"), ExecutionContext(GraphSchema({}), "shapes")
    )


def entity(kind, value, start=0):
    return {"entity": kind, "value": value, "start": start, "end": start + len(value),
            "extractor": "DIETClassifier"}  # fmt: skip


def message(text, *entities):
    return Message(data={TEXT: text, ENTITIES: list(entities)})


def test_a_word_tagged_as_an_order_number_is_dropped_and_kept_aside():
    third = entity("order_number", "third", 11)
    [parsed] = make().process([message("that's the third time, where is my order", third)])
    assert parsed.get(ENTITIES) == []
    assert parsed.get(DROPPED_KEY) == [third]
    assert DROPPED_KEY in parsed.as_dict_nlu()  # shown with the parse result


def test_values_with_their_shape_and_entities_without_one_are_kept():
    kept = [
        entity("order_number", "18992"),
        entity("order_number", "1234"),  # too short, but the form explains what fits
        entity("return_number", "R-10007"),
        entity("email", "sam.taylor@example.net"),
        entity("product", "handle"),  # no shape configured for products
    ]
    [parsed] = make().process([message("...", *kept)])
    assert parsed.get(ENTITIES) == kept
    assert parsed.get(DROPPED_KEY) is None


def test_only_the_misshapen_one_of_several_goes():
    good, bad = entity("order_number", "18992", 20), entity("email", "sam.taylor", 40)
    [parsed] = make().process([message("order 18992, email sam.taylor", good, bad)])
    assert parsed.get(ENTITIES) == [good]
    assert parsed.get(DROPPED_KEY) == [bad]


def test_shapes_come_from_the_configuration():
    custom = make({"shapes": {"product": "^[a-z ]{3,}$"}})
    kept, dropped = entity("product", "lamp"), entity("product", "%%")
    [parsed] = custom.process([message("lamp %%", kept, dropped)])
    assert parsed.get(ENTITIES) == [kept]
    # Configured shapes replace the defaults: order numbers are no longer checked.
    [other] = custom.process([message("third", entity("order_number", "third"))])
    assert [e["value"] for e in other.get(ENTITIES)] == ["third"]


@pytest.mark.parametrize(
    ("shapes", "named"),
    [({"order_number": "(\\d"}, "order_number"), (["\\d"], "shapes")],
)
def test_a_broken_configuration_names_what_to_fix(shapes, named):
    with pytest.raises(InvalidConfigException, match=named):
        make({"shapes": shapes})
