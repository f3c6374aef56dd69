"""The README is the landing page and the reference is a docs site that builds strictly.

The site is built with MkDocs (``mkdocs build --strict``: a broken link or anchor fails). Without
mkdocs installed (``pip install -e '.[dev]'``) that test is skipped, except in CI (``CI`` set),
where it fails.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def readme() -> str:
    return README.read_text(encoding="utf-8")


def foodmatch_commands() -> set[str]:
    """The sub-commands ``foodmatch --help`` lists."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("foodmatch")), "--help"],
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    listing = done.stdout[done.stdout.index("Commands") :]
    return set(re.findall(r"^│?\s{1,2}([a-z][a-z-]*)\s{2,}\S", listing, re.M))


def test_the_readme_is_a_landing_page_of_at_most_200_lines() -> None:
    assert len(readme().splitlines()) <= 200


def test_the_readme_opens_with_the_two_commands() -> None:
    text = readme()
    assert re.findall(r"^## .*", text, re.M)[0] == "## The two commands"
    first_block = re.search(r"^```sh\n(.*?)^```$", text, re.M | re.S)
    assert first_block is not None
    assert re.findall(r"^make (\w+)", first_block.group(1), re.M) == ["demo", "test"]


def test_the_readme_command_table_names_every_foodmatch_command() -> None:
    listed = set(re.findall(r"^\| `foodmatch ([a-z-]+)` \|", readme(), re.M))
    commands = foodmatch_commands()
    assert commands, "foodmatch --help listed no command"
    assert listed == commands


def test_every_file_the_readme_links_to_exists() -> None:
    targets = [t for t in LINK.findall(readme()) if "://" not in t]
    assert targets
    missing = [t for t in targets if not (REPO / t).exists()]
    assert missing == []


def test_every_docs_page_is_in_the_site_navigation() -> None:
    nav = re.findall(r"^  - [^:]+: (\S+\.md)$", (REPO / "mkdocs.yml").read_text("utf-8"), re.M)
    pages = sorted(p.name for p in (REPO / "docs").glob("*.md"))
    assert sorted(nav) == pages


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        reason = "mkdocs is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must build the docs site", pytrace=False)
        pytest.skip(reason)
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "configuration" / "index.html").exists()
