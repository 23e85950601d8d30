"""Custom Rasa 3.6 NLU components (GraphComponent API); imported by Rasa in .venv-rasa only.

- ``minilm_featurizer.MiniLMFeaturizer``: all-MiniLM-L6-v2 sentence features (TensorFlow).
- ``linear_intent_classifier.LinearIntentClassifier``: softmax regression over blended
  sparse and dense sentence features.

Nothing is imported here, so naming one component does not load TensorFlow for the other.
"""
