"""The shape of the code: layers point downhill, no module imports another's private names, and
no two files import each other (directly or around a circle), function-level imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "tools", "agent", "bench", "app_ui", "studies")
#: Each layer may import only the layers listed for it (design.md: data flows one way).
ALLOWED = {
    "models": {"models"},
    "tools": {"models", "tools"},
    "agent": {"models", "tools", "agent"},
    "bench": {"models", "tools", "agent", "bench"},
    "studies": {"models", "tools", "agent", "bench", "studies"},
    "app_ui": {"models", "tools", "agent", "bench", "app_ui", "studies"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    found["app"] = ROOT / "app.py"
    return found


def _imports(path: Path, name: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every import in a file."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            out.append((module, [a.name for a in node.names], node.lineno))
    return out


def _resolve(module: str, names: list[str], known: dict[str, Path]) -> list[str]:
    """The project modules an import loads: the module, or `pkg.sub` for `from pkg import sub`."""
    targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
    if module in known and (not names or len(targets) < len(names)):
        targets.append(module)
    return targets


def _graph() -> nx.DiGraph:
    known = _modules()
    graph = nx.DiGraph()
    for name, path in known.items():
        graph.add_node(name)
        for module, names, _ in _imports(path, name):
            for target in _resolve(module, names, known):
                # a package's __init__ re-exporting its own modules is not a circle
                if target != name and not target.startswith(name + "."):
                    graph.add_edge(name, target)
    return graph


def test_no_module_imports_a_private_name_of_another_module() -> None:
    known = _modules()
    offences = []
    for name, path in known.items():
        for module, names, line in _imports(path, name):
            if module.split(".")[0] not in (*PACKAGES, "app") or module == name:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            private += [part for part in module.split(".") if part.startswith("_")
                        and not part.startswith("__")]
            if private:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {private} "
                                f"from {module}")
    assert not offences, "\n".join(offences)


def test_no_attribute_access_to_private_names_of_other_modules() -> None:
    """`module._name` where `module` is an imported project module."""
    known = _modules()
    offences = []
    for path in known.values():
        tree = ast.parse(path.read_text(), str(path))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if f"{node.module}.{alias.name}" in known:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in known:
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} reads "
                                f"{node.value.id}.{node.attr}")
    assert not offences, "\n".join(offences)


def test_no_import_circles_between_files() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join([*c, c[0]]) for c in cycles)


def test_layers_import_only_downhill() -> None:
    offences = []
    for source, target in _graph().edges:
        layer, other = source.split(".")[0], target.split(".")[0]
        if layer == "app":
            continue
        if other not in ALLOWED.get(layer, {layer}):
            offences.append(f"{source} imports {target}")
    assert not offences, "\n".join(offences)


def test_the_checks_would_catch_a_circle_and_a_private_import(tmp_path: Path) -> None:
    """The checker itself: a planted circle and a planted private import are found."""
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_text("from b import _helper\n")
    b.write_text("def f():\n    import a\n")
    known = {"a": a, "b": b}
    graph = nx.DiGraph()
    for name, path in known.items():
        for module, names, _ in _imports(path, name):
            for target in _resolve(module, names, known):
                graph.add_edge(name, target)
    assert list(nx.simple_cycles(graph)) and any(
        n.startswith("_") for _, names, _ in _imports(a, "a") for n in names)
