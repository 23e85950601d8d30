"""FAQ answers come from the policy file, and a broken file is reported by key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.messages import TOPICS, UnknownTopic, policy_answer
from concierge.formatting import money
from store.policy import PolicyError, ShopPolicy, load_policy
from tests.store.conftest import POLICY_FILE


def _raw() -> dict[str, Any]:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_policy_file_loads_with_its_values(policy: ShopPolicy) -> None:
    assert policy.return_window_days == 30
    assert policy.dispatch_working_days == 1
    assert policy.holiday_region == "GB-ENG"
    assert policy.currency == "GBP"
    assert [o.name for o in policy.shipping_options][:3] == [
        "Standard delivery",
        "Express delivery",
        "Next-day delivery",
    ]
    assert policy.warranty_months in (12, 24)
    assert policy.hours_on("sunday").closed
    assert not policy.hours_on("monday").closed


def test_shipping_costs_answer_quotes_each_cost_and_the_free_threshold(
    policy: ShopPolicy,
) -> None:
    answer = policy_answer(policy, "shipping_costs")
    for option in policy.shipping_options:
        assert option.name in answer
        assert money(option.cost, policy.currency) in answer
    assert "£3.95" in answer and "free on orders over £50" in answer


def test_shipping_times_answer_gives_the_day_ranges(policy: ShopPolicy) -> None:
    answer = policy_answer(policy, "shipping_times")
    assert "3–5 working days" in answer
    assert "1–2 working days" in answer
    assert "next working day when you order by 2pm" in answer


def test_return_policy_answer_states_window_and_refund_time(policy: ShopPolicy) -> None:
    answer = policy_answer(policy, "return_policy")
    assert "within 30 days of delivery" in answer
    assert "within 5 working days" in answer


def test_payment_methods_answer_lists_every_method(policy: ShopPolicy) -> None:
    answer = policy_answer(policy, "payment_methods")
    assert all(method in answer for method in policy.payment_methods)
    assert "pounds sterling" in answer


def test_warranty_answer_gives_months_and_contact(policy: ShopPolicy) -> None:
    answer = policy_answer(policy, "warranty")
    assert f"{policy.warranty_months}-month" in answer
    assert policy.contact_email in answer


def test_opening_hours_answer_groups_days_and_gives_contact(policy: ShopPolicy) -> None:
    answer = policy_answer(policy, "opening_hours")
    assert "Monday to Thursday 9am–6pm" in answer
    assert "Friday 9am–5:30pm" in answer
    assert "Saturday 10am–4pm" in answer
    assert "closed on Sunday" in answer
    assert policy.contact_phone in answer and policy.contact_email in answer


def test_every_topic_has_an_answer_of_full_sentences(policy: ShopPolicy) -> None:
    for topic in TOPICS:
        answer = policy_answer(policy, topic)
        assert answer[0].isupper() and answer.endswith("."), topic


def test_answers_follow_the_file_not_the_code(tmp_path: Path) -> None:
    data = _raw()
    data["returns"]["window_days"] = 14
    data["shipping"][0]["cost"] = 2.49
    data["shipping"][0]["free_over"] = 75
    data["warranty"]["months"] = 12
    data["support"]["opening_hours"]["saturday"] = "closed"
    policy = load_policy(_write(tmp_path, data))
    assert "within 14 days of delivery" in policy_answer(policy, "return_policy")
    assert "£2.49" in policy_answer(policy, "shipping_costs")
    assert "free on orders over £75" in policy_answer(policy, "shipping_costs")
    assert "12-month (1-year)" in policy_answer(policy, "warranty")
    assert "closed on Saturday and Sunday" in policy_answer(policy, "opening_hours")


def test_unknown_topic_raises_unknown_topic_naming_it(policy: ShopPolicy) -> None:
    with pytest.raises(UnknownTopic, match="gift_cards"):
        policy_answer(policy, "gift_cards")


def _drop(section: str, key: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d[section].pop(key)


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("missing_window", _drop("returns", "window_days"), "returns.window_days"),
    ("text_window", lambda d: d["returns"].update(window_days="thirty"), "returns.window_days"),
    ("zero_window", lambda d: d["returns"].update(window_days=0), "returns.window_days"),
    ("bad_cost", lambda d: d["shipping"][1].update(cost="cheap"), "shipping[1].cost"),
    (
        "negative_free_over",
        lambda d: d["shipping"][0].update(free_over=-5),
        "shipping[0].free_over",
    ),
    ("days_upside_down", lambda d: d["shipping"][0].update(max_days=1), "shipping[0].max_days"),
    ("no_countries", lambda d: d["shipping"][2].update(countries=[]), "shipping[2].countries"),
    ("no_shipping", lambda d: d.update(shipping={}), "shipping"),
    ("bad_cut_off", lambda d: d["shipping"][2].update(order_by="2pm"), "shipping[2].order_by"),
    ("no_payments", lambda d: d.update(payment_methods=[]), "payment_methods"),
    ("missing_warranty", lambda d: d.pop("warranty"), "warranty"),
    (
        "misspelt_day",
        lambda d: d["support"]["opening_hours"].update(tuesdy="09:00-17:00"),
        "support.opening_hours.tuesdy",
    ),
    (
        "hours_backwards",
        lambda d: d["support"]["opening_hours"].update(monday="18:00-09:00"),
        "support.opening_hours.monday",
    ),
    ("bad_email", lambda d: d["support"].update(email="help at shop"), "support.email"),
    ("missing_dispatch", lambda d: d.pop("warehouse"), "warehouse"),
    (
        "negative_dispatch",
        lambda d: d["warehouse"].update(dispatch_working_days=-1),
        "warehouse.dispatch_working_days",
    ),
    (
        "unknown_holidays_country",
        lambda d: d["warehouse"].update(holidays="XX"),
        "warehouse.holidays",
    ),
    (
        "unknown_holidays_region",
        lambda d: d["warehouse"].update(holidays="GB-XYZ"),
        "warehouse.holidays",
    ),
    ("holidays_not_text", lambda d: d["warehouse"].update(holidays=44), "warehouse.holidays"),
    # A misspelt optional key used to load silently and drop what it promised.
    (
        "misspelt_free_over",
        lambda d: d["shipping"][0].update(fre_over=d["shipping"][0].pop("free_over")),
        "shipping[0].fre_over",
    ),
    (
        "unknown_in_section",
        lambda d: d["returns"].update(restocking_fee=5),
        "returns.restocking_fee",
    ),
    ("unknown_top_level", lambda d: d.update(gift_wrap=True), "gift_wrap"),
    ("missing_not_served", lambda d: d.pop("not_served_here"), "not_served_here"),
    (
        "not_served_without_other",
        lambda d: d["not_served_here"].pop("other"),
        "not_served_here.other",
    ),
    (
        "not_served_without_keywords",
        lambda d: d["not_served_here"]["invoice"].update(keywords=[]),
        "not_served_here.invoice.keywords",
    ),
    (
        "not_served_without_answer",
        lambda d: d["not_served_here"]["payment"].pop("answer"),
        "not_served_here.payment.answer",
    ),
    (
        "not_served_misspelt_key",
        lambda d: d["not_served_here"]["payment"].update(keywrds=["card"]),
        "not_served_here.payment.keywrds",
    ),
    (
        "unknown_support_key",
        lambda d: d["support"].update(whatsapp="07700 900123"),
        "support.whatsapp",
    ),
]


@pytest.mark.parametrize(("case", "breakage", "key"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_policy_file_raises_policy_error_naming_the_key(
    tmp_path: Path, case: str, breakage: Callable[[dict[str, Any]], None], key: str
) -> None:
    data = _raw()
    breakage(data)
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{path}: {key} ")


def test_policy_file_that_is_not_yaml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("returns: [window_days: 30\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(path)


def test_missing_policy_file_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="does not exist") as caught:
        load_policy(tmp_path / "nowhere.yml")
    assert "nowhere.yml" in str(caught.value)


def test_misspelt_key_names_the_key_it_probably_meant(tmp_path: Path) -> None:
    data = _raw()
    data["shipping"][0]["fre_over"] = data["shipping"][0].pop("free_over")
    with pytest.raises(PolicyError, match="free_over"):
        load_policy(_write(tmp_path, data))


def test_holiday_region_is_optional_and_case_insensitive(tmp_path: Path) -> None:
    data = _raw()
    data["warehouse"]["holidays"] = "gb-sct"
    assert load_policy(_write(tmp_path, data)).holiday_region == "GB-SCT"
    del data["warehouse"]["holidays"]
    assert load_policy(_write(tmp_path, data)).holiday_region is None
