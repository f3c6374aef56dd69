"""The dashboard holds no label of its own: every key its scripts and its page use is in the label
catalogue (``matcher/labels.json``, which the dashboard reads at ``GET /labels.json``), every
value behind a key built from a prefix (``"state_" + state``) has its label, and no Thai text is
left in its scripts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from matcher.domain.calendar import OnHoliday
from matcher.domain.contracts import (
    BookState,
    ContractState,
    DeliveryState,
    RefusalReason,
    RoundStatus,
)
from matcher.domain.lifecycle import TOO_LATE
from matcher.domain.model import WEEKDAYS, BuyerKind, GroupKind, Unit
from matcher.domain.standards import Scheme, Tier
from matcher.optimiser.reasons import ReasonCode
from matcher.optimiser.solution import SolveStatus
from matcher.reference import CROP_GROUPS
from tests.support.labels import KEY, ROOT, called_keys, load_catalogue, thai_lines

STATIC = ROOT / "api" / "static"
PAGE = STATIC / "index.html"
PORTALS = sorted(p for p in STATIC.glob("*/index.html") if p.parent.name != "vendor")
"""The participants' portals (``/kitchen/``...): pages of their own over the same modules."""
SCRIPTS = sorted((STATIC / "js").rglob("*.js"))

TRIGGERS = ("request", "debounce", "schedule")
"""What starts a round: a request (``RunMatchingRound``'s default), changes or the schedule
(the engines' round timer)."""

BUILT: dict[str, Iterable[str]] = {
    "state_": ContractState,
    "book_": BookState,
    "delivery_": DeliveryState,
    "kind_": [*BuyerKind, *GroupKind],
    "tier_": Tier,
    "scheme_": Scheme,
    "unit_": Unit,
    "reason_": [*ReasonCode, TOO_LATE],
    "trigger_": TRIGGERS,
    "status_": RoundStatus,
    "solver_": SolveStatus,
    "wd_": WEEKDAYS,
    "cropgroup_": CROP_GROUPS,
    "refusal_": RefusalReason,
    "kp_on_holiday_": OnHoliday,
}
"""Each prefix the scripts build keys from, with the values the API may put after it."""

# t(cond ? "a" : "b"): both keys.
CHOICE = re.compile(rf'(?<![\w.$])t\([^()"]*\?\s*"({KEY})"\s*:\s*"({KEY})"')
# A row of facts([...]): ["f_key", value, ...] at the start of a line; the key goes through t().
FACT = re.compile(rf'^\s*\["({KEY})",', re.MULTILINE)
# t("prefix_" + value), tOr("prefix_" + value, ...), badge("prefix_", value).
PREFIX = re.compile(rf'(?<![\w.$])(?:(?:t|tOr)\(\s*"({KEY})"\s*\+|badge\(\s*"({KEY})",)')


def script(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def scripts() -> str:
    return "\n".join(script(path) for path in SCRIPTS)


class _Marked(HTMLParser):
    """The keys of the page's text (``data-i18n``) and labels (``data-i18n-aria``)."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("data-i18n", "data-i18n-aria") and value:
                self.keys.add(value)


def page_keys(page: Path = PAGE) -> set[str]:
    parser = _Marked()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.keys


def script_keys() -> set[str]:
    text = scripts()
    # t("state_" + s) is no key; the pages' shell takes the keys of a title and a refusal
    labelled = ("t", "tOr", "applyPageLabels", "renderConnection")
    keys = called_keys(text, labelled) - built_prefixes()
    for first, second in CHOICE.findall(text):
        keys |= {first, second}
    return keys | set(FACT.findall(text))


def built_prefixes() -> set[str]:
    return {a or b for a, b in PREFIX.findall(scripts())}


def test_the_dashboard_is_its_modules() -> None:
    assert SCRIPTS
    assert STATIC / "js" / "main.js" in SCRIPTS
    assert not (STATIC / "app.js").exists()


def test_every_key_the_scripts_use_is_in_the_catalogue() -> None:
    keys = script_keys()
    assert {"app_title", "none", "f_round", "empty_rounds", "empty_rounds_only"} <= keys
    assert sorted(keys - load_catalogue().keys()) == []


def test_every_key_the_page_marks_is_in_the_catalogue() -> None:
    keys = page_keys()
    assert {"nav_overview", "navigation", "key_title"} <= keys
    assert sorted(keys - load_catalogue().keys()) == []


def test_the_kitchen_portal_is_checked_too() -> None:
    assert STATIC / "kitchen" / "index.html" in PORTALS
    assert STATIC / "js" / "kitchen" / "main.js" in SCRIPTS
    assert {"navigation", "kp_send", "kp_f_crop"} <= page_keys(STATIC / "kitchen" / "index.html")


@pytest.mark.parametrize("page", PORTALS, ids=lambda p: p.relative_to(STATIC).as_posix())
def test_every_key_a_portal_marks_is_in_the_catalogue(page: Path) -> None:
    keys = page_keys(page)
    assert sorted(keys - load_catalogue().keys()) == []


def test_the_prefixes_of_built_keys_are_known() -> None:
    """A key built from a new prefix needs its values listed in BUILT."""
    assert built_prefixes() == set(BUILT)


@pytest.mark.parametrize("prefix", sorted(BUILT))
def test_every_value_behind_a_built_key_has_its_label(prefix: str) -> None:
    values = [str(value) for value in BUILT[prefix]]
    assert values
    assert [v for v in values if prefix + v not in load_catalogue()] == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.relative_to(STATIC).as_posix())
def test_no_thai_text_is_left_in_a_script(path: Path) -> None:
    assert thai_lines(script(path)) == []
