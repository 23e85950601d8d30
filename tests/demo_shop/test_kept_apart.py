"""The product packages run without the demo shop: none imports it when it is imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("store", "actions", "console", "promotions", "recsys", "api")
# promotions.demo seeds the demo's campaigns and may use the demo shop; ``__main__``
# modules run their command when imported, so only store's (which generates) is imported.
ALLOWED = ("promotions.demo",)

PROBE = f"""
import importlib, json, pkgutil, sys
imported, failed, culprit = [], {{}}, []
for package in {PRODUCT_PACKAGES!r}:
    names = [info.name for info in pkgutil.walk_packages(
        importlib.import_module(package).__path__, package + ".")]
    for name in names:
        if name in {ALLOWED!r} or (name.endswith(".__main__") and name != "store.__main__"):
            continue
        try:
            importlib.import_module(name)
            imported.append(name)
            if "demo_shop" in sys.modules and not culprit:
                culprit.append(name)
        except Exception as exc:
            failed[name] = repr(exc)
demo = sorted(m for m in sys.modules if m == "demo_shop" or m.startswith("demo_shop."))
print(json.dumps({{"imported": imported, "failed": failed, "demo": demo, "culprit": culprit}}))
"""


def test_importing_every_product_module_loads_nothing_of_demo_shop():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert not seen["failed"], f"modules that did not import: {seen['failed']}"
    assert "store.__main__" in seen["imported"] and len(seen["imported"]) > 50
    assert seen["demo"] == [], f"{seen['culprit']} imports demo_shop at module level"
