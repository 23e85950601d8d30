"""The project's spaCy pipeline for Rasa's SpacyNLP, built from the catalogue export (.venv-rasa)."""
