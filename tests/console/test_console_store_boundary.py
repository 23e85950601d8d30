"""The console reaches the store's tables only where docs/store-api.md says it may."""

from __future__ import annotations

import ast
from pathlib import Path

CONSOLE = Path(__file__).resolve().parents[2] / "console"

# docs/store-api.md, "What the console imports from store/": the two exceptions and why.
MAY_IMPORT_STORE_MODELS = {
    "console/models.py": {"Base"},
    "console/staff/conversation_list.py": {"ChatSession", "Customer", "Handoff", "SessionOutcome"},
}


def store_models_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(CONSOLE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "store.models":
                names = found.setdefault(str(path.relative_to(CONSOLE.parent)), set())
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Import) and any(a.name == "store.models" for a in node.names):
                found.setdefault(str(path.relative_to(CONSOLE.parent)), set()).add("*")
    return found


def test_console_imports_store_models_only_where_the_store_api_doc_allows() -> None:
    assert store_models_imports() == MAY_IMPORT_STORE_MODELS


def test_product_code_of_the_console_does_not_import_the_demo_package_at_module_level() -> None:
    for path in sorted(CONSOLE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(n.startswith(("demo_shop", "store.demo")) for n in names), path
