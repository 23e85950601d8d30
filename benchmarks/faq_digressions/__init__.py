"""How sure the FAQ response selector is on the bot's own training questions (issue 14)."""
