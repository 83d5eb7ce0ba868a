"""The space and booking services depend on each other one way only:
settings, notifications <- space_changes <- spaces <- authorisations <- bookings <- blackouts, slot waitlist.
No lower module imports a higher one, not even inside a function (the spaces <-> bookings
cycle this replaced hid its back edge in one)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "innocell" / "services"

HIGHER = {
    "settings": {"spaces", "authorisations", "bookings", "blackouts"},
    "notifications": {"spaces", "authorisations", "bookings", "blackouts"},
    "space_changes": {"spaces", "authorisations", "bookings", "blackouts", "slot_waitlist", "no_show"},
    "spaces": {"authorisations", "bookings", "blackouts", "slot_waitlist", "no_show"},
    "authorisations": {"bookings", "blackouts", "slot_waitlist", "no_show"},
    "bookings": {"blackouts", "slot_waitlist", "no_show"},
}


def imported_services(source: str, depth: int) -> set[str]:
    """The innocell.services modules a file imports anywhere in it, absolute or relative.
    `depth` is 0 for services/x.py and 1 for a file of a package services/pkg/x.py."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - depth != 1:
                    continue  # a sibling inside the same package, or above innocell.services
                parts = node.module.split(".") if node.module else []
            elif (node.module or "").startswith("innocell.services."):
                parts = node.module.split(".")[2:]
            else:
                continue
            found.update([parts[0]] if parts else [alias.name for alias in node.names])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[2] for alias in node.names
                         if alias.name.startswith("innocell.services."))
    return found


def _files(name: str) -> list[tuple[Path, int]]:
    package = SERVICES / name
    if package.is_dir():
        return [(path, 1) for path in sorted(package.glob("*.py"))]
    return [(SERVICES / f"{name}.py", 0)]


@pytest.mark.parametrize("module", sorted(HIGHER))
def test_a_lower_service_never_imports_a_higher_one(module):
    files = _files(module)
    assert files and all(path.exists() for path, _ in files)
    for path, depth in files:
        wrong = imported_services(path.read_text(), depth) & HIGHER[module]
        assert not wrong, f"{path.relative_to(SERVICES)} imports {sorted(wrong)}"


def test_imports_inside_functions_and_from_packages_are_seen():
    """The probe would have caught the old back edge, a lazy import inside a function."""
    assert imported_services("def f():\n    from .bookings import fmt_span\n", 0) == {"bookings"}
    assert imported_services("from . import NotFound, blackouts\nfrom ..models import Space\n", 0) == {
        "NotFound", "blackouts"}
    assert imported_services("from ..spaces import get_space\nfrom .reads import holds\n", 1) == {"spaces"}
    assert imported_services("from .. import bookings\nimport innocell.services.no_show\n", 1) == {
        "bookings", "no_show"}
