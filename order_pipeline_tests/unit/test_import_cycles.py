"""No import cycle between the modules of order_pipeline, function-level imports included.

The graph is read from the source with ast (nothing is imported): every `import x` and `from x import y` anywhere in
a module, inside functions and TYPE_CHECKING blocks too, is an edge to the order_pipeline module it names (`from
package import name` counts as an import of package.name when that is a module, else of the package).
"""

from __future__ import annotations

import ast
from pathlib import Path

import order_pipeline

PACKAGE = Path(order_pipeline.__file__).parent
ROOT_NAME = "order_pipeline"


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    names = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def resolve_relative(module: str, path: Path, level: int, target: str | None) -> str:
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The order_pipeline modules `module` imports anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve_relative(module, path, node.level, node.module) if node.level else node.module or ""
            submodules = [f"{source}.{alias.name}" for alias in node.names]
            targets = [name for name in submodules if name in known] or [source]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a module
                target = target.rpartition(".")[0]
            if target and target.split(".")[0] == ROOT_NAME and target != module:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    names = module_names()
    return {module: imports_of(module, path, set(names)) for module, path in names.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == 1:
                return stack[stack.index(successor) :] + [successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def is_package_init_edge(source: str, target: str) -> bool:
    """A package importing its own submodule (re-exports in __init__) is not a design cycle by itself."""
    return target.startswith(source + ".")


def test_the_graph_covers_every_module_and_sees_function_level_imports():
    graph = import_graph()
    assert len(graph) == len(list(PACKAGE.rglob("*.py")))
    # redshift_resource imports the Redshift backend inside a method (redshift_connector loads on first use)
    assert "order_pipeline.warehouse.redshift_backend" in graph["order_pipeline.components.redshift_resource"]


def test_no_import_cycle_between_order_pipeline_modules():
    graph = {
        module: {target for target in targets if not is_package_init_edge(module, target)}
        for module, targets in import_graph().items()
    }
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_walker_finds_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / ROOT_NAME
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from order_pipeline.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from order_pipeline import a\n    return a\n")
    names = module_names(package)
    graph = {module: imports_of(module, path, set(names)) for module, path in names.items()}
    assert graph["order_pipeline.b"] == {"order_pipeline.a"}
    assert find_cycle(graph) == ["order_pipeline.a", "order_pipeline.b", "order_pipeline.a"]
