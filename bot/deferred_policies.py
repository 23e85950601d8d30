"""TED is asked for its prediction only when its prediction could be the one chosen (issue 15).

Rasa 3.6 runs every policy for every action it predicts, then its ensemble
(``DefaultPolicyPredictionEnsemble``) chooses one prediction: a "no user" prediction (a form
carrying on) over all others, an end-to-end one over intent-based ones, then the highest
confidence, then the higher priority. TED's confidences are a softmax, at most 1.0, and its
priority (1) is below RulePolicy's (6) and Memoization's (3). So once RulePolicy or
Memoization predicts an action with confidence 1.0 (a rule or a remembered story applies),
TED's prediction cannot be chosen, and it carries no events the ensemble would keep (TED
adds none but optional entity events, which only a chosen end-to-end prediction passes on).
Its inference, featurizing the dialogue and running its transformer, is then work for
nothing: on the guest conversation of benchmarks/rasa_turn.py all 78 of 78 predictions were
such hits.

:func:`ask_ted_only_when_it_could_win` makes TED's node return a :class:`DeferredPrediction`
and lets the ensemble make it only when no prediction already made beats it for sure. When
TED could be trained on message text (end-to-end stories), its predictions might be
end-to-end ones, which overrule the others, and it is asked every time as before. The
choice, its probabilities, events and diagnostic data are Rasa's own in every case
(tests/rasa_side/test_deferred_policies.py compares them at every step of the end-to-end
test stories).

Installed by the ``concierge`` channel (bot/channels/concierge_rest.py) before the model
loads: Rasa's graph binds each node's method when it loads the model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa.core.policies.policy import PolicyPrediction

_rasas_ted_prediction: Any = None
_rasas_combine: Any = None
# benchmarks/rasa_turn.py switches it off to measure Rasa's own behaviour in the same process.
deferring = True


class DeferredPrediction(PolicyPrediction):
    """A policy's prediction made only if someone reads it.

    It knows the policy's name and priority; anything else it is asked for (probabilities,
    events, ...) makes the prediction first, once, with the arguments the graph gave.
    """

    def __init__(
        self, make: Callable[[], PolicyPrediction], policy_name: str, policy_priority: int
    ) -> None:
        # PolicyPrediction.__init__ is not called: every other attribute is the made one's.
        self._make: Callable[[], PolicyPrediction] | None = make
        self._made: PolicyPrediction | None = None
        self.policy_name = policy_name
        self.policy_priority = policy_priority

    def made(self) -> PolicyPrediction:
        if self._made is None:
            assert self._make is not None
            self._made = self._make()
            self._make = None
        return self._made

    @property
    def is_made(self) -> bool:
        return self._made is not None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.made(), name)


def _ted_when_asked(
    self,  # noqa: ANN001 - unannotated, as in TED: Rasa's graph validates the signature
    tracker: Any,
    domain: Any,
    rule_only_data: dict[str, Any] | None = None,
    precomputations: Any = None,
    **kwargs: Any,
) -> PolicyPrediction:
    """``TEDPolicy.predict_action_probabilities``, deferred until the ensemble needs it."""
    from rasa.shared.nlu.constants import TEXT

    def make() -> PolicyPrediction:
        return _rasas_ted_prediction(
            self,
            tracker,
            domain,
            rule_only_data=rule_only_data,
            precomputations=precomputations,
            **kwargs,
        )

    may_be_end_to_end = self.only_e2e or TEXT in getattr(self, "fake_features", {TEXT: True})
    if not deferring or self.model is None or may_be_end_to_end:
        return make()
    return DeferredPrediction(make, self.__class__.__name__, self.priority)


def _rejected_action_index(tracker: Any, domain: Any) -> int | None:
    """The action the ensemble zeroes in every prediction: the last one, if it was rejected."""
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    for event in reversed(tracker.events):
        if isinstance(event, ActionExecutionRejected):
            return int(domain.index_for_action(event.action_name))
        if isinstance(event, ActionExecuted):
            return None
    return None


def cannot_win(
    deferred: DeferredPrediction, made: list[PolicyPrediction], rejected: int | None
) -> bool:
    """Whether a prediction made beats the deferred one for sure, as the ensemble chooses.

    The deferred prediction is intent-based (neither "no user" nor end-to-end) and its
    confidence is at most 1.0.
    """
    for prediction in made:
        if prediction.is_no_user_prediction or prediction.is_end_to_end_prediction:
            return True  # the ensemble considers only predictions of that kind
    for prediction in made:
        probabilities = list(prediction.probabilities)
        if rejected is not None and rejected < len(probabilities):
            probabilities[rejected] = 0.0
        if (
            probabilities
            and max(probabilities) >= 1.0
            and prediction.policy_priority > deferred.policy_priority
        ):
            return True
    return False


def _combine_asking_only_who_could_win(
    self: Any, predictions: list[PolicyPrediction], tracker: Any, domain: Any
) -> PolicyPrediction:
    """Rasa's ``combine_predictions``, leaving out deferred predictions that cannot win."""
    if any(isinstance(p, DeferredPrediction) for p in predictions):
        made = [p for p in predictions if not isinstance(p, DeferredPrediction)]
        rejected = _rejected_action_index(tracker, domain)
        predictions = [
            p.made() if isinstance(p, DeferredPrediction) else p
            for p in predictions
            if not (isinstance(p, DeferredPrediction) and cannot_win(p, made, rejected))
        ]
    return _rasas_combine(self, predictions, tracker, domain)


def ask_ted_only_when_it_could_win() -> None:
    """Defer TED's predictions and let the ensemble make them only when they could win."""
    global _rasas_ted_prediction, _rasas_combine
    from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
    from rasa.core.policies.ted_policy import TEDPolicy

    if TEDPolicy.predict_action_probabilities is not _ted_when_asked:
        _rasas_ted_prediction = TEDPolicy.predict_action_probabilities
        TEDPolicy.predict_action_probabilities = _ted_when_asked
    if (
        DefaultPolicyPredictionEnsemble.combine_predictions
        is not _combine_asking_only_who_could_win
    ):
        _rasas_combine = DefaultPolicyPredictionEnsemble.combine_predictions
        DefaultPolicyPredictionEnsemble.combine_predictions = _combine_asking_only_who_could_win
