"""Every intent of the domain in the customer's words, for "Did you mean: Track an order?".

A customer must never read a raw intent name. tests/actions/test_intent_labels.py fails when
an intent of bot/domain/*.yml has no label here: add one line when you add an intent.
Retrieval intents are labelled per topic (``faq/shipping_costs``); a multi-intent
(``order_status+faq``) is labelled by its parts.
"""

from __future__ import annotations

MULTI_INTENT_SPLIT = "+"

INTENT_LABELS: dict[str, str] = {
    "greet": "Say hello",
    "goodbye": "Say goodbye",
    "thank": "Say thanks",
    "affirm": "Yes",
    "deny": "No",
    "bot_challenge": "Ask if I'm a bot",
    "ask_capabilities": "See what I can do",
    "inform": "Give some details",
    "stop": "Stop what we're doing",
    "out_of_scope": "Something else",
    "request_human": "Talk to a person",
    "order_status": "Track an order",
    "list_orders": "Show my orders",
    "cancel_order": "Cancel an order",
    "request_return": "Start a return",
    "return_status": "Check on a return or refund",
    "faq": "Ask about our policies",
    "chitchat": "Have a chat",
    "accept_offer": "Take the offer",
    "decline_offer": "Say no to the offer",
    "stop_offers": "Stop getting offers",
    "ask_recommendation": "Get product suggestions",
    "search_products": "Find a product",
    "product_question": "Ask about a product I showed you",
    "unsupported_request": "Change an order's details or make a complaint",
    "express_frustration": "Tell me something went wrong",
    "link_account": "Connect your shop account to this chat",
    "unlink_account": "Disconnect your shop account from this chat",
    # Rasa's own intents: a customer can reach them only through buttons or fallbacks.
    "nlu_fallback": "Something else",
    "restart": "Start again",
    "back": "Go back",
    "session_start": "Start a new chat",
    # Topics of the retrieval intents (the ResponseSelector's intent_response_key).
    "faq/shipping_costs": "Ask about shipping costs",
    "faq/shipping_times": "Ask about delivery times",
    "faq/return_policy": "Ask about our return policy",
    "faq/payment_methods": "Ask how you can pay",
    "faq/warranty": "Ask about the warranty",
    "faq/opening_hours": "Ask when our team is available",
    "chitchat/how_are_you": "Ask how I am",
    "chitchat/weather": "Talk about the weather",
    "chitchat/joke": "Hear a joke",
    "chitchat/who_made_you": "Ask who made me",
    "chitchat/love": "Say something nice",
    "chitchat/name": "Ask my name",
}

# Said when an intent somehow has no label: never the raw name.
UNLABELLED = "Something I can help with"


def label_for(intent: str | None) -> str:
    """The customer's words for ``intent``: a topic, a plain intent or a multi-intent."""
    if not intent:
        return UNLABELLED
    if intent in INTENT_LABELS:
        return INTENT_LABELS[intent]
    if MULTI_INTENT_SPLIT in intent:
        parts = [label_for(part) for part in intent.split(MULTI_INTENT_SPLIT) if part]
        return _join([parts[0], *(p[:1].lower() + p[1:] for p in parts[1:])])
    base = intent.split("/", 1)[0]
    return INTENT_LABELS.get(base, UNLABELLED)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
