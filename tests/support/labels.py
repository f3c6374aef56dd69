"""The label catalogue's checks, shared: read the catalogue file, collect the label keys a Python
module, a template or a script uses, and find Thai text held outside the catalogue."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "matcher" / "labels.json"

THAI = re.compile(r"[\u0E00-\u0E7F]")
"""A character of the Thai block."""

KEY = r"[A-Za-z0-9_]+"


def load_catalogue(path: Path = CATALOGUE) -> dict[str, dict[str, str]]:
    """The catalogue file as stored: ``{key: {"en": ..., "th": ...}}``."""
    loaded: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def called_keys(text: str, functions: Iterable[str]) -> set[str]:
    """The keys passed as a quoted literal first argument to any of ``functions`` in ``text``
    (a template, a script): ``t("key")``, ``label('key', lang)``."""
    names = "|".join(re.escape(name) for name in functions)
    pattern = re.compile(rf"(?<![\w.$])(?:{names})\(\s*([\"'])({KEY})\1")
    return {match.group(2) for match in pattern.finditer(text)}


def attribute_keys(text: str, holder: str) -> set[str]:
    """The keys read as attributes of ``holder`` in ``text``: ``t.key`` gives ``key``."""
    pattern = re.compile(rf"(?<![\w.$]){re.escape(holder)}\.({KEY})")
    return {match.group(1) for match in pattern.finditer(text)}


def python_keys(source: str, functions: Iterable[str]) -> set[str]:
    """The keys passed as a string literal first argument to calls of ``functions`` (by name,
    or as an attribute such as ``labels.label``) in Python ``source``."""
    wanted = set(functions)
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        first = node.args[0]
        if name in wanted and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
    return found


def python_string_keys(source: str, pattern: str) -> set[str]:
    """Every string literal of Python ``source`` that matches ``pattern`` whole (the keys a
    module names in tables, such as ``doc_reason_...``)."""
    whole = re.compile(pattern)
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and whole.fullmatch(node.value)
    }


def thai_in_python(source: str) -> list[str]:
    """The string literals (and f-string parts) of Python ``source`` holding Thai, as
    ``line: text``; docstrings and comments are not literals the program shows, and are left
    out (comments are not in the tree; docstrings are skipped)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{node.lineno}: {node.value}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and THAI.search(node.value)
    ]


def thai_lines(text: str) -> list[str]:
    """The lines of ``text`` holding Thai, as ``number: line``."""
    return [
        f"{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if THAI.search(line)
    ]
