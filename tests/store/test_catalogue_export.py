"""The catalogue export that carries titles, categories and colours to the Rasa side."""

from __future__ import annotations

import json

from store.catalogue_export import export, main
from tests.factories import add_product, migrated_store, sqlite_url


def test_export_lists_distinct_titles_categories_and_colours(tmp_path):
    sessions = migrated_store(tmp_path)
    add_product(sessions, title="Rattan Wall Mirror", category="home decor", colour="Natural")
    add_product(sessions, title="Speckled Mug", category="kitchen", colour="Navy")
    add_product(sessions, title="Board Game", category="toys", colour=None)
    add_product(sessions, title="Speckled Mug", category="kitchen", colour="Navy")
    out = tmp_path / "entities.json"
    assert export(sqlite_url(tmp_path, "shop.db"), out) is True
    assert json.loads(out.read_text()) == {
        "titles": ["Board Game", "Rattan Wall Mirror", "Speckled Mug"],
        "categories": ["home decor", "kitchen", "toys"],
        "colours": ["Natural", "Navy"],
    }


def test_an_unchanged_catalogue_leaves_the_file_untouched(tmp_path):
    sessions = migrated_store(tmp_path)
    add_product(sessions, title="Oak Photo Frame", category="home decor")
    out = tmp_path / "entities.json"
    url = sqlite_url(tmp_path, "shop.db")
    export(url, out)
    stamp = out.stat().st_mtime_ns
    assert export(url, out) is False
    assert out.stat().st_mtime_ns == stamp
    add_product(sessions, title="Brass Table Lamp", category="lighting")
    assert export(url, out) is True
    assert "Brass Table Lamp" in json.loads(out.read_text())["titles"]


def test_a_missing_database_is_reported_and_not_created(tmp_path, capsys):
    db = tmp_path / "nowhere.db"
    code = main(["--db-url", f"sqlite:///{db}", "--out", str(tmp_path / "out.json")])
    assert code == 1
    assert "no store database at" in capsys.readouterr().err
    assert not db.exists()
    assert not (tmp_path / "out.json").exists()


def test_an_empty_store_is_refused_with_advice(tmp_path, capsys):
    migrated_store(tmp_path)
    code = main(["--db-url", sqlite_url(tmp_path, "shop.db"), "--out", str(tmp_path / "o.json")])
    assert code == 1
    assert "has no products" in capsys.readouterr().err
