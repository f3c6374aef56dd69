"""axe-core (the copy in ``tests/browser/vendor/``, never a CDN) run on a Playwright page: the
WCAG 2.1 A/AA and best-practice rules, the serious and critical violations named one by one, and
a check of our own that every visible form field has a name a screen reader reads out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[1] / "browser" / "vendor" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
BLOCKING = ("serious", "critical")
"""The impacts that fail a page."""
Known = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Violation:
    """One rule a page breaks, with the elements that break it."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def describe(self) -> str:
        shown = ", ".join(self.targets[:8])
        more = f" (+{len(self.targets) - 8} more)" if len(self.targets) > 8 else ""
        return f"[{self.impact}] {self.rule}: {self.help} -> {shown}{more}"


def inject(page: Any) -> None:
    """Puts axe-core on the page (once)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))


def run_axe(page: Any, *, exclude: tuple[str, ...] = ()) -> list[Violation]:
    """Every violation axe finds on the page as it is now (``exclude``: selectors left out)."""
    inject(page)
    found: list[dict[str, Any]] = page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length
                ? {include: [document], exclude: exclude.map(s => [s])} : document;
            const result = await axe.run(context, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                rule: v.id, impact: v.impact || "", help: v.help,
                targets: v.nodes.map(n => n.target.map(String).join(" "))}));
        }""",
        [list(TAGS), list(exclude)],
    )
    return [Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"])) for v in found]


def blocking(violations: list[Violation], known: Known = ()) -> list[Violation]:
    """The serious and critical ones, less the ``known`` ones: ``(rule, ending)`` leaves out the
    elements whose selector ends with ``ending`` from that rule's violation."""
    found: list[Violation] = []
    for v in violations:
        endings = tuple(ending for rule, ending in known if rule == v.rule)
        targets = tuple(t for t in v.targets if not (endings and t.endswith(endings)))
        if v.impact in BLOCKING and targets:
            found.append(Violation(v.rule, v.impact, v.help, targets))
    return found


UNLABELLED_FIELDS = """() => {
    const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
        && getComputedStyle(el).visibility !== "hidden";
    const named = el => {
        const by = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
            .map(id => document.getElementById(id)).filter(Boolean)
            .map(e => e.textContent.trim()).join(" ");
        const own = [...el.labels || []].map(l => l.textContent.trim()).join(" ");
        return (by || (el.getAttribute("aria-label") || "").trim() || own
            || (el.getAttribute("title") || "").trim()).length > 0;
    };
    const fields = document.querySelectorAll(
        "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea");
    return [...fields].filter(el => visible(el) && !named(el))
        .map(el => el.id ? "#" + el.id : el.outerHTML.slice(0, 120));
}"""


def unlabelled_fields(page: Any) -> list[str]:
    """The visible inputs, selects and text areas with no label, ``aria-label``,
    ``aria-labelledby`` or ``title`` that gives them a non-empty name."""
    found: list[str] = page.evaluate(UNLABELLED_FIELDS)
    return found


def visible_fields(page: Any) -> int:
    """How many inputs, selects and text areas are shown."""
    count: int = page.evaluate(
        """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
            .filter(el => el.offsetWidth || el.offsetHeight).length"""
    )
    return count


def assert_accessible(page: Any, where: str, *, known: Known = ()) -> None:
    """Fails, naming each one, on a serious or critical axe violation (but the ``known`` ones,
    see :func:`blocking`) or an unlabelled field."""
    found = blocking(run_axe(page), known)
    unnamed = unlabelled_fields(page)
    problems = [v.describe() for v in found]
    problems += [f"[serious] field without a label: {field}" for field in unnamed]
    assert not problems, f"{where}: {len(problems)} accessibility problem(s):\n" + "\n".join(
        problems
    )
