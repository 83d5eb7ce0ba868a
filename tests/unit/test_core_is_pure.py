"""The allocation core is pure: importing every module of innocell.allocation pulls in no web
framework, no ORM and nothing of innocell outside innocell.allocation, so the rules can be
reasoned about and tested without a database."""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import innocell.allocation

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_ROOTS = ("flask", "sqlalchemy", "flask_login", "flask_sqlalchemy", "flask_wtf", "flask_migrate",
                   "werkzeug", "alembic", "wtforms", "psycopg", "apscheduler")

PROBE = r"""
import importlib, json, pkgutil, sys
import innocell.allocation as core
names = ["innocell.allocation"] + [m.name for m in pkgutil.walk_packages(core.__path__, "innocell.allocation.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_every_allocation_module_imports_without_framework_or_other_innocell_code():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    expected = {m.name for m in pkgutil.walk_packages(innocell.allocation.__path__, "innocell.allocation.")}
    assert expected <= set(report["modules"])
    assert {"innocell.allocation.intervals", "innocell.allocation.hours"} <= set(report["modules"])

    loaded = report["loaded"]
    framework = [m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS]
    assert framework == [], f"the pure core imported {framework}"
    outside = [m for m in loaded if m.split(".")[0] == "innocell"
               and m != "innocell" and m != "innocell.allocation" and not m.startswith("innocell.allocation.")]
    assert outside == [], f"the pure core imported innocell modules outside innocell.allocation: {outside}"
