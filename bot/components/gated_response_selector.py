"""Rasa 3.6 component: a ResponseSelector that picks a topic only where its intent is in play.

Rasa's ``ResponseSelector`` for ``faq`` runs its network on every message, "hi" and "where is
my order" included, and so does the one for ``chitchat``: two TensorFlow calls a turn, about
a third of the NLU's time, for a choice that is read only when the message's intent is that
retrieval intent. Its pick is read in exactly these places:

- Rasa's ``utter_faq`` / ``utter_chitchat`` and the parse data's
  ``full_retrieval_intent_name``, when the chosen intent is ``faq`` or ``chitchat``;
- a two-question intent that contains it (``order_status+faq``, ``actions.multi_intent``);
- the two-stage fallback's "Did you mean …?", which names a guessed FAQ by its topic
  (``actions.fallback_wording``);
- for ``faq`` only: a question typed while a form waits for an answer, which the form
  answers as an FAQ when this selector is sure of a topic, whatever the intent
  (``actions.form_turns.faq_digression``).

This selector runs the network when the retrieval intent is part of the chosen intent or
of a guess the fallback would offer (``actions.intent_guesses.names_in_play``, the same
function the fallback action uses; it ignores the ``nlu_fallback`` and ``out_of_scope``
that later components put first in the ranking), and, with ``for_form_questions: true``,
for every message that could be such a question (``actions.parsing.could_digress``, the
forms' own test; the NLU does not know whether a form is active). Otherwise the message
gets no pick for this intent, and ``all_retrieval_intents`` as before. Training is
Rasa's, unchanged.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import RESPONSE_SELECTOR_PROPERTY_NAME, RESPONSE_SELECTOR_RETRIEVAL_INTENTS
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from actions.intent_guesses import names_in_play
from actions.parsing import could_digress

FOR_FORM_QUESTIONS = "for_form_questions"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class GatedResponseSelector(ResponseSelector):
    """``ResponseSelector`` that skips messages where its retrieval intent is not in play."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's ResponseSelector defaults, and whether form questions count as in play."""
        return {**ResponseSelector.get_default_config(), FOR_FORM_QUESTIONS: False}

    def in_play(self, message: Message) -> bool:
        """Whether this message's answer may read this selector's pick."""
        if not self.retrieval_intent:  # one selector for every retrieval intent: always
            return True
        parse = {"intent": message.get(INTENT), "intent_ranking": message.get(INTENT_RANKING_KEY)}
        if self.retrieval_intent in names_in_play(parse):
            return True
        return bool(self.component_config[FOR_FORM_QUESTIONS]) and could_digress(
            str(message.get(TEXT) or "")
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Rasa's selection for the messages where it is in play; the list of retrieval
        intents for every message."""
        chosen = []
        for message in messages:
            if self.in_play(message):
                chosen.append(message)
            else:
                selectors = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
                selectors[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = self.all_retrieval_intents
                message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)
        super().process(chosen)
        return messages
