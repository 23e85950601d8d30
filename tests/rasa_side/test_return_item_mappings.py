"""Rasa's own slot mappings of ``return_item`` (bot/domain/returns.yml), run by Rasa 3.6.

Asked for the reason, "it's broken, the handle snapped off" must not replace the item
already chosen ("handle" is DIET's product there); asked for the item, only the action
server's custom mapping (``action_extract_return_item``) may fill it, after checking the
words against the order. Outside a form a product named in a return request still
pre-fills the item.
"""

import asyncio

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.rasa_side.conftest import ROOT

HANDLE = [
    {"entity": "return_reason", "value": "damaged", "start": 5, "end": 11},
    {"entity": "product", "value": "handle", "start": 17, "end": 23},
]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(ROOT / "bot" / "domain")


def _extracted(domain: Domain, before: list, text: str, entities: list) -> dict:
    events = [ActionExecuted("action_listen"), *before, ActionExecuted("action_listen")]
    events.append(UserUttered(text, {"name": "request_return", "confidence": 0.98}, entities))
    tracker = DialogueStateTracker.from_events("test", events, slots=domain.slots)
    # No action server: a custom mapping's call fails and fills nothing, as Rasa logs.
    slot_events = asyncio.run(ActionExtractSlots(None).run(None, None, tracker, domain))
    return {e.key: e.value for e in slot_events if isinstance(e, SlotSet)}


def _in_return_form(asked: str, **slots: str) -> list:
    started = [ActionExecuted("return_form"), ActiveLoop("return_form")]
    return started + [SlotSet(k, v) for k, v in slots.items()] + [SlotSet("requested_slot", asked)]


def test_a_part_named_in_the_reason_does_not_replace_the_chosen_item(domain: Domain) -> None:
    before = _in_return_form("return_reason", order_number="18587", return_item="Stoneware Mug")
    extracted = _extracted(domain, before, "it's broken, the handle snapped off", HANDLE)
    assert "return_item" not in extracted
    assert extracted["return_reason"] == "damaged"


def test_asked_for_the_item_rasa_itself_stores_no_words(domain: Domain) -> None:
    before = _in_return_form("return_item", order_number="18587")
    extracted = _extracted(domain, before, "it's broken, the handle snapped off", HANDLE)
    assert "return_item" not in extracted


def test_a_return_request_outside_a_form_prefills_the_item(domain: Domain) -> None:
    teapot = [{"entity": "product", "value": "teapot", "start": 20, "end": 26}]
    extracted = _extracted(domain, [], "I want to return the teapot", teapot)
    assert extracted["return_item"] == "teapot"


def test_the_item_named_while_the_order_is_asked_is_kept(domain: Domain) -> None:
    teapot = [{"entity": "product", "value": "teapot", "start": 4, "end": 10}]
    before = _in_return_form("order_number")
    extracted = _extracted(domain, before, "the teapot, order 18587", teapot)
    assert extracted["return_item"] == "teapot"
