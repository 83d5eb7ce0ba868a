"""The shape of the code that every later change relies on: small modules, dependencies
pointing one way, and one owner per transaction (services, never the web layer)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "innocell"
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that `name` imports anywhere but under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(child) for child in ast.walk(node))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            bases = [base]
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in bases + names:
            if candidate in known and candidate != name:
                targets.add(candidate)
    return targets


def test_no_module_is_over_the_size_limit():
    big = {str(path.relative_to(PACKAGE.parent)): n for path in PACKAGE.rglob("*.py")
           if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not big, f"split these by noun (over {MAX_LINES} lines): {big}"


def test_the_package_has_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    # A package's __init__ importing its own submodules is how packages re-export; a cycle is
    # a module reaching back to itself through others.
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(trail[trail.index(target):] + [target] if target in trail else [node, target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_pure_core_imports_nothing_of_the_app():
    for path in (PACKAGE / "allocation").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+(flask|sqlalchemy|innocell\.(?!allocation))", text, re.M), path
        assert not re.search(r"^\s*from\s+\.\.(?!allocation)", text, re.M), path


def test_the_web_layer_never_commits_or_rolls_back():
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{n}" for path in (PACKAGE / "web").rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"\.(commit|rollback)\(", line)]
    assert not offenders, f"the service owns the transaction: {offenders}"


def test_only_the_transaction_owner_commits():
    """Only services/tx.py commits or rolls back; services are @transaction, and jobs, the
    CLI and the web layer call them."""
    owner = PACKAGE / "services" / "tx.py"
    offenders = [f"{path.relative_to(PACKAGE.parent)}:{n}" for path in PACKAGE.rglob("*.py")
                 if path != owner
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if re.search(r"\.(commit|rollback)\(", line)]
    assert not offenders, offenders
