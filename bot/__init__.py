"""The Rasa assistant: domain, training data, tests and Rasa-side extensions (.venv-rasa only)."""
