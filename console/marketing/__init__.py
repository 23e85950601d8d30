"""The marketer's pages: campaigns, their preview and their results."""
