"""The code's shape: no module grows past what one reader can hold, and no import circle.

Imports are read by grimp (what import-linter reads) from every import statement, at the
top of a module, inside a function or under TYPE_CHECKING alike: a circle through a
function-level import still ties the modules together. Two levels are checked:

- modules: no module reaches itself through the modules it imports;
- packages: within each package, its children (a subpackage counting with everything in
  it) import each other in one direction only, so each package's parts can be read, and
  split off, bottom-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import grimp
import pytest

import cstui

MAX_LINES = 800
PACKAGE_DIR = Path(cstui.__file__).parent

Graph = Mapping[str, Iterable[str]]


def _cycle(deps: Graph) -> list[str] | None:
    """One import circle of `deps` (node -> the nodes it imports), or None."""
    try:
        TopologicalSorter(deps).prepare()
    except CycleError as err:
        return list(err.args[1])
    return None


def _squashed(graph: grimp.ImportGraph, package: str) -> dict[str, set[str]]:
    """`package`'s children and which of them each imports, a child standing for itself and
    all its descendants."""
    children = sorted(graph.find_children(package))
    deps: dict[str, set[str]] = {child: set() for child in children}
    for child in children:
        for module in {child} | graph.find_descendants(child):
            for imported in graph.find_modules_directly_imported_by(module):
                target = _child_holding(children, imported)
                if target is not None and target != child:
                    deps[child].add(target)
    return deps


def _child_holding(children: list[str], module: str) -> str | None:
    return next((c for c in children if module == c or module.startswith(c + ".")), None)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("cstui", cache_dir=None)


def test_no_module_passes_the_line_limit() -> None:
    sizes = {
        path.relative_to(PACKAGE_DIR.parent).as_posix(): len(path.read_text("utf-8").splitlines())
        for path in PACKAGE_DIR.rglob("*.py")
    }
    assert len(sizes) > 100  # the whole package was read
    too_long = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert not too_long, f"split these modules (over {MAX_LINES} lines): {too_long}"


def test_function_level_imports_are_in_the_graph(graph: grimp.ImportGraph) -> None:
    """The CLI imports the seed inside its command (so that `cstui --help` starts light):
    the graph must see it, or a circle through such an import would go unnoticed."""
    assert graph.direct_import_exists(importer="cstui.cli.admin", imported="cstui.demo.seed")


def test_no_import_circle_between_modules(graph: grimp.ImportGraph) -> None:
    deps = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert len(deps) > 100
    circle = _cycle(deps)
    assert circle is None, f"import circle: {' -> '.join(circle or [])}"


def test_no_import_circle_between_the_parts_of_any_package(graph: grimp.ImportGraph) -> None:
    packages = sorted(m for m in graph.modules if graph.find_children(m))
    assert {"cstui", "cstui.demo", "cstui.store", "cstui.domain.events"} <= set(packages)
    circles = {}
    for package in packages:
        circle = _cycle(_squashed(graph, package))
        if circle is not None:
            circles[package] = " -> ".join(circle)
    assert not circles, f"import circles between the parts of a package: {circles}"


def test_the_checks_see_a_circle() -> None:
    """The checks above pass only because there is no circle, not because they cannot see
    one: a circle through a package's child counts as the child's."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None

    graph = grimp.ImportGraph()
    for module in ("p", "p.x", "p.y", "p.y.deep"):
        graph.add_module(module)
    graph.add_import(importer="p.x", imported="p.y.deep")
    graph.add_import(importer="p.y.deep", imported="p.x")
    assert _squashed(graph, "p") == {"p.x": {"p.y"}, "p.y": {"p.x"}}
    assert _cycle(_squashed(graph, "p")) is not None
