"""No import circle anywhere in the code: import-linter's layers keep the layers apart, and this
test keeps the modules of one layer (or one package) from importing each other in a ring, imports
under ``TYPE_CHECKING`` included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp

PACKAGES = ("matcher", "producers", "consumers", "api", "bench")


def reached(imports: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """Every module that ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(imports.get(start, ()))
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imports.get(module, ()))
    return seen


def circles(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The groups of two or more modules that reach each other through ``imports``."""
    reach = {module: reached(imports, module) for module in imports}
    groups = {
        frozenset({module} | {other for other in found if module in reach.get(other, ())})
        for module, found in reach.items()
    }
    return sorted(sorted(group) for group in groups if len(group) > 1)


def test_the_circle_finder_finds_rings_and_nothing_else() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": set(), "f": {"f"}}

    assert circles(imports) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_the_code_is_part_of_an_import_circle() -> None:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}

    assert len(imports) > 100, "the graph holds the code's modules"
    assert circles(imports) == []
