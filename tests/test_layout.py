"""The package layout's rules (docs/architecture.md): no import cycle among
livechat's modules, and no function-level import of one (bar ``apps.ready``,
where Django wants receivers and checks registered)."""

import ast
from pathlib import Path

import livechat

ROOT = Path(livechat.__file__).parent
# AppConfig.ready(): where Django says to import checks and receivers.
LATE_IMPORTS_ALLOWED = {
    ("livechat.apps", "ready"),
    ("livechat.contrib.oscar.apps", "ready"),
}


def _modules():
    """``{dotted name: parsed module}`` of every module but migrations."""
    modules = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = (path, ast.parse(path.read_text()))
    return modules


def _imported(node, name, path, modules):
    """The livechat modules one ``from ... import`` statement loads."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    if node.level:
        base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        target = ".".join(base) + (f".{node.module}" if node.module else "")
    else:
        target = node.module or ""
    found = {f"{target}.{a.name}" for a in node.names} & modules.keys()
    if len(found) < len(node.names) and target in modules:
        found.add(target)  # names from the module itself, not submodules
    return found


def _graph(modules):
    graph = {}
    for name, (path, tree) in modules.items():
        graph[name] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                graph[name] |= _imported(node, name, path, modules)
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names} & modules.keys()
        graph[name].discard(name)
    return graph


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_livechat_modules():
    modules = _modules()
    assert "livechat.services.messages.statement_route" in modules
    assert _cycles(_graph(modules)) == []


def test_a_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_function_level_import_of_a_livechat_module():
    late = []
    for name, (_path, tree) in _modules().items():
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                livechat_import = (
                    isinstance(node, ast.ImportFrom)
                    and (node.level or (node.module or "").startswith("livechat"))
                ) or (
                    isinstance(node, ast.Import)
                    and any(a.name.startswith("livechat") for a in node.names)
                )
                if livechat_import and (name, function.name) not in (
                    LATE_IMPORTS_ALLOWED
                ):
                    late.append(f"{name}.{function.name} (line {node.lineno})")
    assert late == []
