"""nlu_data/typo_variants.yml is generated, reproducibly, by benchmarks.intents.typo_variants."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from benchmarks.intents.typo_variants import (
    NLU_DIR,
    OUTPUT,
    VariantMaker,
    generate,
    main,
    plain,
)

LOOKUP = """version: "3.1"
nlu:
  - lookup: product
    examples: |
      - lamp
      - teapot
      - mug
"""


def nlu_dir(tmp_path: Path, examples: dict[str, list[str]]) -> Path:
    """A tiny nlu_data folder: one topic file with the given intents, and a lookup table."""
    folder = tmp_path / "nlu_data"
    folder.mkdir(parents=True)
    (folder / "lookup_products.yml").write_text(LOOKUP)
    nlu = [
        {"intent": intent, "examples": "".join(f"- {e}\n" for e in exs)}
        for intent, exs in examples.items()
    ]
    (folder / "topic.yml").write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}))
    return folder


def variants(text: str) -> dict[str, list[str]]:
    """The generated file's examples per intent."""
    data = yaml.safe_load(text)
    assert isinstance(data["nlu"], list)
    return {
        item["intent"]: [ln[2:] for ln in item["examples"].splitlines() if ln]
        for item in data["nlu"]
    }


def test_the_committed_typo_variants_are_what_the_generator_writes():
    assert (NLU_DIR / OUTPUT).read_text() == generate(NLU_DIR), (
        "nlu_data/typo_variants.yml is out of date or edited by hand: "
        "run .venv/bin/python -m benchmarks.intents.typo_variants"
    )


def test_generation_is_deterministic(tmp_path):
    folder = nlu_dir(tmp_path, {"order_status": ["where is my parcel please", "track order"]})
    assert generate(folder) == generate(folder)


def test_short_words_are_never_mistyped_only_lowered():
    maker = VariantMaker(["lamp"], vocabulary=set())
    for example in ("Stop it now!", "Quit, ok?", "menu pls"):
        for seed in range(20):
            maker.reseed("stop", f"{example}{seed}")
            assert maker.variant(example) == example.lower().rstrip("?!. ")


def test_a_longer_word_gets_exactly_one_slip_that_is_not_a_known_word():
    maker = VariantMaker(["lamp"], vocabulary={"stop", "from", "form"})
    for seed in range(20):
        maker.reseed("stop", str(seed))
        out = maker.variant("please stop the form")
        changed = [w for w in out.split() if w not in {"please", "stop", "the", "form"}]
        assert len(changed) == 1 and out.split()[1:] == ["stop", "the", "form"], out


def test_a_variant_never_repeats_an_example_of_any_intent(tmp_path):
    folder = nlu_dir(
        tmp_path,
        {
            "greet": ["Hello there, good morning!", "hello there good morning", "Hi!"],
            "goodbye": ["See you later, have a nice day!", "hi"],
        },
    )
    out = variants(generate(folder))
    originals = {
        plain(e) for e in ["Hello there, good morning!", "See you later, have a nice day!", "Hi!"]
    }
    produced = [plain(v) for exs in out.values() for v in exs]
    assert produced, out
    assert not originals & set(produced)
    assert len(produced) == len(set(produced))


def test_entities_keep_their_markup_and_get_fresh_values(tmp_path):
    folder = nlu_dir(
        tmp_path,
        {
            "order_status": [
                "where is my order [10234](order_number) please",
                'the [lamp](product) arrived [broken]{"entity": "return_reason"}',
            ],
        },
    )
    out = variants(generate(folder))["order_status"]
    assert re.fullmatch(r"\w+ is my order \[C?\d{5,6}\]\(order_number\) \w+", out[0], re.I)
    assert "[10234]" not in out[0]
    assert re.search(r"\[(lamp|teapot|mug)\]\(product\)", out[1])
    assert '[broken]{"entity": "return_reason"}' in out[1]


def test_editing_one_example_leaves_the_other_variants_alone(tmp_path):
    before = variants(
        generate(
            nlu_dir(
                tmp_path / "a",
                {"request_human": ["let me talk to a person", "connect me with an agent"]},
            )
        )
    )
    after = variants(
        generate(
            nlu_dir(
                tmp_path / "b",
                {"request_human": ["let me speak to a person", "connect me with an agent"]},
            )
        )
    )
    assert before["request_human"][1] == after["request_human"][1]


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    folder = nlu_dir(tmp_path, {"thank": ["thanks a lot for the help"]})
    assert main(["--nlu-dir", str(folder)]) == 0
    assert main(["--nlu-dir", str(folder), "--check"]) == 0
    (folder / OUTPUT).write_text((folder / OUTPUT).read_text() + "      - thanx\n")
    assert main(["--nlu-dir", str(folder), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_a_folder_without_a_lookup_table_is_refused_by_name(tmp_path, capsys):
    assert main(["--nlu-dir", str(tmp_path)]) == 2
    assert "lookup_products.yml" in capsys.readouterr().err
