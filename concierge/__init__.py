"""Shared configuration for the main (.venv, Python 3.11) environment."""
