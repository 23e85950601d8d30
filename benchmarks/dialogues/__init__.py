"""Whole conversations held against the real stack, turn by turn (issue 14).

Dialogues live in this folder as YAML, one file per theme (see ``schema.py`` for the
format); ``python -m benchmarks.dialogues`` plays them and prints the share that went
fully right. Expectations say what a customer wants, not what today's bot does.
"""
