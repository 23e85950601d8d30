"""Rasa 3.6 component: drops extracted entities whose value cannot be what they name.

DIET reads entities in context, and context misleads it: in "that's the third time I've
asked, where is my order" it tags "third" as an order number with 0.99 confidence, because
that is where order numbers stand in its training sentences. Rasa's slot mappings then
store the word in ``order_number`` before any form validator sees it (issue 14: a value
must look like what it fills before it is stored). This component sits after the entity
extractors and keeps an entity only when its value matches its shape: an order or return
number has a digit, an e-mail address an "@". Entities without a shape pass unchanged.

The shapes are deliberately looser than the actions' parsers: "1234" is kept, so the form
can say what an order number looks like; only values that cannot be one are dropped.
What was dropped is kept in the parse data (``dropped_entities``), which the tracker
store keeps with the message, so a transcript can be checked for what was set aside.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE
from rasa.shared.nlu.training_data.message import Message

from bot.components.config_only import ConfigOnlyComponent

DROPPED_KEY = "dropped_entities"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EntityShapeFilter(ConfigOnlyComponent):
    """Keeps an entity only if its value matches the pattern configured for its type."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Shapes of the values the forms fill (nlu_data/regex.yml has the exact ones)."""
        return {"shapes": {"order_number": r"\d", "return_number": r"\d", "email": "@"}}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        shapes = config.get("shapes") or {}
        if not isinstance(shapes, dict):
            raise InvalidConfigException(
                f"EntityShapeFilter: `shapes` must map entity names to patterns, got {shapes!r}"
            )
        self.shapes: dict[str, re.Pattern[str]] = {}
        for entity, pattern in shapes.items():
            try:
                self.shapes[str(entity)] = re.compile(str(pattern))
            except re.error as error:
                raise InvalidConfigException(
                    f"EntityShapeFilter: the shape of `{entity}` is not a valid regular "
                    f"expression ({error}): {pattern!r}"
                ) from error

    def fits(self, entity: dict[str, Any]) -> bool:
        """Whether the entity's value has its type's shape (always, for types without one)."""
        shape = self.shapes.get(str(entity.get(ENTITY_ATTRIBUTE_TYPE)))
        return shape is None or bool(shape.search(str(entity.get(ENTITY_ATTRIBUTE_VALUE, ""))))

    def process(self, messages: list[Message]) -> list[Message]:
        """Remove the misshapen entities of each message, keeping them aside."""
        for message in messages:
            entities = message.get(ENTITIES) or []
            dropped = [entity for entity in entities if not self.fits(entity)]
            if not dropped:
                continue
            message.set(ENTITIES, [entity for entity in entities if self.fits(entity)])
            message.set(DROPPED_KEY, dropped, add_to_output=True)
        return messages
