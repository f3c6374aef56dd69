"""The tests share helpers through tests/support only: no test module or conftest imports
another test module or a conftest, so each test module can be read, run and moved on its own."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path, root: Path) -> set[str]:
    """The dotted names a file imports, absolute, with `from x import y` giving x and x.y."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _is_test_module_or_conftest(name: str) -> bool:
    if not name.startswith("tests."):
        return False
    last = name.split(".")[-1]
    return last == "conftest" or last.startswith("test_")


def cross_test_imports(root: Path = TESTS) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for name in sorted(_imported_modules(path, root)):
            if _is_test_module_or_conftest(name) and name != _module_name(path, root):
                found.append(f"{path.relative_to(root.parent)} imports {name}")
    return found


def test_no_test_module_or_conftest_imports_another_test_module_or_a_conftest() -> None:
    assert cross_test_imports() == []


def test_the_check_sees_absolute_relative_and_plain_imports_of_test_modules(
    tmp_path: Path,
) -> None:
    root = tmp_path / "tests"
    (root / "unit").mkdir(parents=True)
    (root / "unit" / "test_a.py").write_text(
        "from tests.unit.test_b import helper\n"
        "from . import test_c\n"
        "import tests.e2e.conftest\n"
        "from tests.support.ports import free_port\n",
        encoding="utf-8",
    )
    found = cross_test_imports(root)
    assert len(found) == 3
    assert any("tests.unit.test_b" in line for line in found)
    assert any("tests.unit.test_c" in line for line in found)
    assert any("tests.e2e.conftest" in line for line in found)
