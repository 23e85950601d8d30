"""Intent classification benchmark for Rasa configs: `python -m benchmarks.intents --help`."""
