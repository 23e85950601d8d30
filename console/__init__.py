"""The console web app: customer web chat, and later staff review and marketer pages."""
