"""The import graph of `bot` has no cycle: imports inside functions count, only those under
`if TYPE_CHECKING:` do not. The layers themselves are import-linter's contracts (pyproject.toml)."""

from __future__ import annotations

import itertools
from collections import deque

import grimp


def import_graph(package: str) -> grimp.ImportGraph:
    return grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)


def strongly_connected_components(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm, iterative (the graph is deep enough for recursion to be a risk)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = lowlink[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            for successor in imported:
                if successor not in index:
                    index[successor] = lowlink[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.find_modules_directly_imported_by(successor)))))
                    break
                if successor in on_stack:
                    lowlink[module] = min(lowlink[module], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    lowlink[parent] = min(lowlink[parent], lowlink[module])
                if lowlink[module] == index[module]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == module:
                            break
                    components.append(component)
    return components


def a_cycle_through(graph: grimp.ImportGraph, component: set[str]) -> list[str]:
    """The shortest import path from the component's first module back to itself."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in component:
                continue
            if imported == start:
                chain = [module]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [*reversed(chain), start]
            if imported not in came_from:
                came_from[imported] = module
                queue.append(imported)
    raise AssertionError(f"{sorted(component)} is not a cycle")


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    steps = []
    for importer, imported in itertools.pairwise(cycle):
        lines = sorted(d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported))
        steps.append(f"{importer} (line {', '.join(map(str, lines))}) → {imported}")
    return "\n  ".join(steps)


def test_no_import_cycles():
    graph = import_graph("bot")
    cycles = [c for c in strongly_connected_components(graph) if len(c) > 1]
    message = "\n".join(
        f"import cycle of {len(c)} modules ({', '.join(sorted(c))}), for example:\n  "
        + describe(graph, a_cycle_through(graph, c))
        for c in cycles
    )
    assert not cycles, message


def test_the_cycle_finder_names_a_cycle_and_ignores_chains():
    graph = grimp.ImportGraph()
    for importer, imported in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.e")]:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    cycles = [c for c in strongly_connected_components(graph) if len(c) > 1]
    assert cycles == [{"p.a", "p.b", "p.c"}]
    assert a_cycle_through(graph, cycles[0]) == ["p.a", "p.b", "p.c", "p.a"]
    assert describe(graph, ["p.a", "p.b"]) == "p.a (line 1) → p.b"


def test_imports_inside_functions_count_and_type_checking_ones_do_not(tmp_path, monkeypatch):
    package = tmp_path / "layering_sample"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from layering_sample import typed\n"
        "def later():\n    from layering_sample import high\n    return high\n"
    )
    (package / "high.py").write_text("from layering_sample import low\n")
    (package / "typed.py").write_text("from layering_sample import low\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = import_graph("layering_sample")
    cycles = [c for c in strongly_connected_components(graph) if len(c) > 1]
    assert cycles == [{"layering_sample.low", "layering_sample.high"}]
