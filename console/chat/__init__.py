"""The customer web chat: front page, chat page, the WebSocket relay to Rasa."""
