"""Custom Rasa 3.6 NLU components (GraphComponent API); imported by Rasa in .venv-rasa only.

- ``minilm_featurizer.MiniLMFeaturizer``: all-MiniLM-L6-v2 sentence features (TensorFlow).
- ``linear_intent_classifier.LinearIntentClassifier``: softmax regression over blended
  sparse and dense sentence features.
- ``out_of_distribution.OutOfDistributionRejector``: the distance of a message's dense
  sentence features to the nearest training example (``distance_ood``); messages beyond a
  threshold learned on a held-back split of the training data become ``out_of_scope``.

Nothing is imported here, so naming one component does not load TensorFlow for the other.
"""
