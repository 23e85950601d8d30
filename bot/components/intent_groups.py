"""Rasa 3.6 component: intents the bot answers alike count together before the fallback.

The classifier spreads its probability over every intent it knows. For a short request
such as "gift ideas for my mum please" it may give ``search_products`` 0.38 and
``ask_recommendation`` 0.20: each under the FallbackClassifier's threshold (0.4), so the
customer is asked "Did you mean …?", although both readings end in the same thing, a few
products shown. And when two such intents are close ("can you recommend a vase?":
0.42 / 0.37), the fallback's ambiguity check takes them for a doubt it cannot resolve.

This component sits between the classifier and the fallback. When the best intent belongs
to a configured group, the confidences of the group's intents in the ranking are added to
it and its siblings leave the ranking, so the threshold and the ambiguity gap weigh the
*reading* (products wanted) rather than the split between its wordings. The best intent
stays what it was: this never changes which intent wins, only how sure the bot is of
reading the customer right. What was merged stays in the parse data (``grouped_intents``),
which the tracker store keeps with the message.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.config_only import ConfigOnlyComponent

OUTPUT_KEY = "grouped_intents"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentGroups(ConfigOnlyComponent):
    """Adds the confidences of the best intent's group and drops its siblings from the ranking."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No groups: every intent stands alone unless the pipeline says otherwise."""
        return {"groups": []}

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        groups = config.get("groups") or []
        if not isinstance(groups, list) or not all(
            isinstance(group, list) and len(group) >= 2 for group in groups
        ):
            raise InvalidConfigException(
                "IntentGroups: `groups` must be a list of lists of at least two intent "
                f"names, got {groups!r}"
            )
        self.group_of: dict[str, frozenset[str]] = {}
        for group in groups:
            members = frozenset(str(name) for name in group)
            for name in members:
                if name in self.group_of:
                    raise InvalidConfigException(
                        f"IntentGroups: intent `{name}` is in more than one group"
                    )
                self.group_of[name] = members

    def process(self, messages: list[Message]) -> list[Message]:
        """Merge each message's best intent with its group's other intents."""
        for message in messages:
            self._merge(message)
        return messages

    def _merge(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        group = self.group_of.get(str(intent.get(INTENT_NAME_KEY)))
        if group is None or not ranking:
            return
        best = intent[INTENT_NAME_KEY]
        siblings = [
            r for r in ranking if r.get(INTENT_NAME_KEY) in group and r[INTENT_NAME_KEY] != best
        ]
        if not siblings:
            return
        total = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) + sum(
            float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in siblings
        )
        total = min(total, 1.0)
        merged = {**intent, PREDICTED_CONFIDENCE_KEY: total}
        rest = [r for r in ranking if r.get(INTENT_NAME_KEY) not in group]
        message.set(INTENT, merged, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [merged, *rest], add_to_output=True)
        message.set(OUTPUT_KEY, [dict(r) for r in siblings], add_to_output=True)
