"""py-spy's raw stacks sorted into a turn's components (benchmarks/profile_breakdown.py)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.profile_breakdown import (
    IDLE,
    RASA_COMPONENTS,
    breakdown,
    parse_raw,
    read_breakdown,
    top_functions,
)

PROCESS = 'process 42:"rasa run --port 5005"'
HANDLE = (
    f"{PROCESS};handle_message (rasa/core/processor.py:120);__call__ (rasa/engine/graph.py:464)"
)
# Eight samples in all: a ResponseSelector running DIET's code, RulePolicy running
# Memoization's, the tracker store under the processor, and a uvloop waiting in epoll.
RAW = "\n".join(
    [
        f"{HANDLE};process (rasa/nlu/selectors/response_selector.py:610);"
        "process (rasa/nlu/classifiers/diet_classifier.py:1040);"
        "_rasa_predict (rasa/utils/tensorflow/models.py:300) 3",
        f"{HANDLE};predict_action_probabilities (rasa/core/policies/rule_policy.py:1100);"
        "_prediction_states (rasa/core/policies/memoization.py:220);"
        "applied_events (rasa/shared/core/trackers.py:700) 2",
        f"{PROCESS};handle_message (rasa/core/processor.py:120);"
        "save (rasa/core/tracker_store.py:1300);do_commit (sqlalchemy/engine/default.py:700) 1",
        f"{PROCESS};main (rasa/__main__.py:10);serve_application (rasa/core/run.py:250) 2",
        "not a stack line",
    ]
)


def test_a_stack_goes_to_its_most_specific_component_and_waits_are_set_apart() -> None:
    counts = breakdown(parse_raw(RAW.splitlines()), RASA_COMPONENTS)

    assert counts["NLU: ResponseSelectors (faq, chitchat)"] == 3
    assert counts["NLU: DIET (entities)"] == 0
    assert counts["policy: Rule"] == 2
    assert counts["policy: Memoization"] == 0
    assert counts["tracker store (read, write)"] == 1
    assert counts[IDLE] == 2
    assert counts["graph runner"] == 0  # generic frames lose to the component under them
    assert sum(counts.values()) == 8


def test_reading_a_raw_file_merges_repeated_stacks_and_names_the_costly_frames(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "short-rasa.txt"
    raw.write_text(RAW + "\n" + RAW.splitlines()[0].rsplit(" ", 1)[0] + " 4\n")

    assert read_breakdown(raw, "rasa")["NLU: ResponseSelectors (faq, chitchat)"] == 7
    assert read_breakdown(tmp_path / "missing.txt", "rasa")[IDLE] == 0
    top = top_functions(raw, "rasa/", 2)
    assert top == [
        ("_rasa_predict (rasa/utils/tensorflow/models.py)", 7),
        (
            "applied_events (rasa/shared/core/trackers.py)",
            2,
        ),
    ]
