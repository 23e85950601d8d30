"""Every sentence the console itself says to a customer, in one place.

The bot's own replies come from Rasa's domain; these are the console's: what the chat
page shows when something goes wrong, the front page's notices, and what a customer
reads when a person joins or leaves their chat. Change the words here, not in handlers.
"""

from __future__ import annotations

# The chat socket's error frames.
UNAVAILABLE_TEXT = "Sorry, the assistant is unavailable right now — please try again in a moment."
UNREADABLE_TEXT = "The chat could not read that message — please reload the page."
EMPTY_TEXT = "Type a message before sending."
TOO_FAST_TEXT = (
    "You're sending messages faster than the assistant can answer — please wait for a reply."
)

# The answer to a chat socket opened from another site's page.
OTHER_SITE_REFUSED = "This chat only accepts connections from its own page."

# The front page (customer picker).
CHAT_ENDED_NOTICE = (
    "Your chat has ended. Pick a customer or continue as a guest to start a new one."
)
CHOOSE_A_CUSTOMER = "Choose a customer from the list, or continue as a guest."
# A chat start without the page's form token (an old tab, or another site's form).
START_AGAIN = "That chat could not be started from here. Please start it again below."
# Too many chat starts from one address in a minute.
TOO_MANY_CHATS = (
    "Too many chats were started from here just now. Please wait a minute and try again."
)

# A person takes a chat over, then hands it back to the bot.
BACK_TO_BOT_TEXT = "You're back with the shop assistant. Ask me anything!"


def no_such_customer(customer_id: object) -> str:
    """The front page's answer to a customer id that is not (or no longer) in the shop."""
    return f"There is no customer with id {customer_id}. Choose one from the list."


def no_shop_account(customer_id: object) -> str:
    """The demo picker's answer to a customer the shop has no account id for."""
    return (
        f"Customer {customer_id} has no shop account id, so the demo cannot sign them in. "
        "Regenerate the demo data (delete var/concierge.db, then make demo)."
    )


def agent_joined(agent_name: str) -> str:
    """What the customer reads when an agent takes their chat."""
    return f"{agent_name} from customer service has joined the chat."
