"""The package layout's rules, checked on the source: no import cycles between lsp_server's
packages, and the domain packages stay free of the LSP transport and of llama.cpp."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lsp_server"
# Packages that must be usable without a language server (plain functions and classes).
WITHOUT_LSP = ("index", "context", "engine", "prompts", "modelfiles", "settings")


def unit_of(module: str) -> str:
    """The package (or top-level module) of a dotted lsp_server module name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(path: Path) -> set[str]:
    """Absolute names of what a module imports, leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        source = unit_of(module_name(path))
        targets = {unit_of(m) for m in runtime_imports(path) if m.startswith("lsp_server.")}
        graph.setdefault(source, set()).update(targets - {source, "__init__"})
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_packages():
    graph = package_graph()
    assert {"completion", "hover", "explain", "indexing", "engine", "prompts", "modelfiles", "settings"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_check_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_domain_packages_do_not_import_the_lsp_transport():
    for unit in WITHOUT_LSP:
        for path in (PACKAGE / unit).rglob("*.py"):
            imports = runtime_imports(path)
            assert not any(m.split(".")[0] in ("pygls", "lsprotocol") for m in imports), path


def test_only_the_llama_cpp_engine_imports_llama_cpp():
    for path in PACKAGE.rglob("*.py"):
        if any(m.split(".")[0] == "llama_cpp" for m in runtime_imports(path)):
            assert path.parent.name == "engine" and path.name.startswith("llama_cpp"), path


def test_only_the_onnx_engine_imports_onnxruntime_genai():
    for path in PACKAGE.rglob("*.py"):
        if any(m.split(".")[0] == "onnxruntime_genai" for m in runtime_imports(path)):
            assert path.parent.name == "engine" and path.name.startswith("onnx_"), path


def test_only_feature_modules_register_handlers():
    """`@server.feature` / `@server.command` appear in a feature's own module or the server core."""
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if ".feature(" in text or ".command(" in text:
            assert path.name in ("feature.py", "server.py"), path
