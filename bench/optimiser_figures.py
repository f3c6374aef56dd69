"""The optimiser benchmark's printed figures (``foodmatch bench``): a scenario's figures as
labelled rows (the three answers side by side, the checks against the plain model and the LP),
the table of several scenarios and the legend under it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from bench.scenarios import Scenario

SOLVES = ("ours", "plain", "greedy")
"""The three answers of a scenario: default parameters, the plain model, the greedy baseline."""


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}×" if b else "-"


def _per_unit(summary: dict[str, Any]) -> float:
    filled = summary["filled"]
    return summary["delivered_cost_units"] / 10_000 / filled if filled else 0.0


def _three(f: dict[str, Any], fmt: str, value: Any) -> str:
    """One figure of the three answers, ``default / plain / greedy``."""
    return " / ".join(fmt.format(value(f[name])) for name in SOLVES)


def _fair(f: dict[str, Any], key: str) -> str:
    return " / ".join(f"{f['fairness'][name][key]:.4f}" for name in SOLVES)


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _status(s: dict[str, Any]) -> str:
    text = f"{s['solver']}, {s['status']}"
    return f"{text}: {s['message']}" if s["status"] == "error" else text


def fill_kept(f: dict[str, Any]) -> bool:
    """Whether the default keeps the plain model's filled and priority-weighted quantities."""
    ours, plain = f["ours"], f["plain"]
    return bool(
        ours["filled"] == plain["filled"] and ours["weighted_filled"] == plain["weighted_filled"]
    )


def _kept(f: dict[str, Any]) -> str:
    if fill_kept(f):
        return "yes"
    return f"NO ({f['ours']['filled'] - f['plain']['filled']:+,})"


def gini_lowered(f: dict[str, Any]) -> bool:
    fair = f["fairness"]
    return bool(fair["ours"]["gini_utilisation"] < fair["plain"]["gini_utilisation"])


def lp_agrees(f: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the LP has the plain model's (priority-weighted fill, delivered cost)."""
    lp, plain = f["lp"], f["plain"]
    same_fill = abs(lp["weighted_filled"] - plain["weighted_filled"]) <= 1e-6 * max(
        1, plain["weighted_filled"]
    )
    cost = plain["delivered_cost_units"]
    same_cost = abs(lp["delivered_cost"] - cost) <= 1e-6 * max(1.0, cost)
    return same_fill, same_cost


def relaxation_gap(f: dict[str, Any]) -> float:
    """Our priority-weighted fill's relative gap to the LP relaxation's."""
    bound = f["lp"]["weighted_filled"]
    return (bound - f["ours"]["weighted_filled"]) / bound if bound > 0 else 0.0


def _lp_rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    rules = f["integer_rules"]
    labels = (
        ["LP relaxation bound (weighted fill)", "gap ours vs LP relaxation"]
        if rules
        else ["LP agrees with plain: weighted fill", "LP agrees with plain: delivered cost"]
    )
    lp = f.get("lp")
    if lp is None:
        return [("LP (GLOP) wall / GLOP time", "skipped (--no-lp)")] + [
            (label, "-") for label in labels
        ]
    timing = (
        f"{lp['seconds']:.2f} s / {lp['solver_seconds']:.2f} s"
        f" ({lp['markets']:,} markets"
        + (f", {lp['fallbacks']} dense" if lp["fallbacks"] else "")
        + ")"
    )
    if rules:
        values = [f"{lp['weighted_filled']:,.0f}", f"{100 * relaxation_gap(f):.2f} %"]
    else:
        same_fill, same_cost = lp_agrees(f)
        delta = (lp["delivered_cost"] - f["plain"]["delivered_cost_units"]) / 10_000
        values = [
            f"{_yes(same_fill)} ({lp['weighted_filled']:,.0f})",
            f"{_yes(same_cost)} (Δ {delta:,.2f} THB)",
        ]
    return [("LP (GLOP) wall / GLOP time", timing), *zip(labels, values, strict=True)]


def figures_rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    """The printed figures of one scenario, as (label, value) rows."""
    ours, plain, greedy = f["ours"], f["plain"], f["greedy"]
    rules = f["integer_rules"]
    gini = {name: f["fairness"][name]["gini_utilisation"] for name in SOLVES}
    extra = ours["delivered_cost_units"] - plain["delivered_cost_units"]
    extra_share = extra / plain["delivered_cost_units"] if plain["delivered_cost_units"] else 0.0
    rows = [
        ("integer rules", f["rules"]),
        ("groups / orders", f"{f['groups']:,} / {f['orders']:,}"),
        ("order-weeks (deliveries)", f"{f['order_weeks']:,}"),
        ("supply weeks", f"{f['supply_weeks']:,}"),
        ("eligible pairs", f"{f['pairs']:,}"),
        ("ours: solver, status", _status(ours)),
        ("ours: wall time", f"{ours['wall_seconds']:.2f} s"),
        ("ours: raw solver time", f"{ours['solver_seconds']:.3f} s"),
    ]
    if rules:
        rows += [
            ("CP-SAT time limit", f"{f['time_limit_seconds']:g} s"),
            (
                "optimality gap ours / plain (weighted fill)",
                f"{100 * ours['gap']:.3f} % / {100 * plain['gap']:.3f} %",
            ),
            (
                "optimality gap ours / plain (cost and penalties)",
                f"{100 * ours['cost_gap']:.3f} % / {100 * plain['cost_gap']:.3f} %",
            ),
            (
                "ours: CP-SAT buckets / greedy fallbacks",
                f"{ours['cpsat_buckets']:,} / {ours['fallback_buckets']:,}",
            ),
        ]
    rows += [
        ("plain: solver, status / wall time", f"{_status(plain)} / {plain['wall_seconds']:.2f} s"),
        ("greedy: wall time", f"{greedy['wall_seconds']:.2f} s"),
        ("fill rate ours / plain / greedy", _three(f, "{:.2f} %", lambda s: 100 * s["fill_rate"])),
        ("filled quantity ours / plain", f"{ours['filled']:,} / {plain['filled']:,}"),
        ("default keeps the plain fill", _kept(f)),
        ("filled ours / greedy", _ratio(ours["filled"], greedy["filled"])),
        (
            "priority-weighted fill ours / greedy",
            _ratio(ours["weighted_filled"], greedy["weighted_filled"]),
        ),
        (
            "delivered cost THB ours / plain / greedy",
            _three(f, "{:,.0f}", lambda s: s["delivered_cost_units"] / 10_000),
        ),
        (
            "cost of the policies (ours − plain)",
            f"{extra / 10_000:+,.0f} THB ({100 * extra_share:+.2f} %)",
        ),
        ("THB per unit filled ours / greedy", _ratio(_per_unit(ours), _per_unit(greedy))),
        ("km per unit ours / plain / greedy", _three(f, "{:.2f}", lambda s: s["km_per_unit"])),
        ("wall time ours / greedy", _ratio(ours["wall_seconds"], greedy["wall_seconds"])),
        ("Gini of utilisation ours / plain / greedy", _fair(f, "gini_utilisation")),
        (
            "default lowers the Gini (vs plain)",
            f"{_yes(gini_lowered(f))} ({gini['ours'] - gini['plain']:+.4f})",
        ),
        ("lowest utilisation ours / plain / greedy", _fair(f, "min_utilisation")),
        ("smallest groups' share ours / plain / greedy", _fair(f, "smallest_groups_share")),
        (
            "eligible groups (fairness figures' time)",
            f"{f['fairness']['ours']['eligible_groups']:,} ({f['fairness_seconds']:.2f} s)",
        ),
        (
            "suppliers per order ours / plain / greedy",
            _three(f, "{:.2f}", lambda s: s["suppliers_per_order"]),
        ),
        *_lp_rows(f),
        (
            "validator ours / plain / greedy",
            " / ".join("passes" if f["valid"][name] else "FAILS" for name in SOLVES),
        ),
        ("generate + parse", f"{f['generate_s']:.2f} s + {f['parse_s']:.2f} s"),
        ("peak memory: solving process", f"{f['peak_rss_mb']:.0f} MB"),
        ("peak memory: largest worker", _workers_peak(f)),
        (
            "peak memory at the end: process / worker",
            f"{f['end_peak_rss_mb']:.0f} MB / " + _mb_or_dash(f["end_workers_peak_rss_mb"]),
        ),
    ]
    return rows


def _workers_peak(f: dict[str, Any]) -> str:
    peak = f.get("workers_peak_rss_mb", 0.0)
    return f"{peak:.0f} MB" if peak else "- (solved in-process)"


def _mb_or_dash(peak: float) -> str:
    return f"{peak:.0f} MB" if peak else "-"


def figures_table(title: str, rows: list[tuple[Scenario, dict[str, Any]]]) -> Table:
    table = Table(title=title)
    table.add_column("figure", no_wrap=True)
    for scenario, _ in rows:
        table.add_column(scenario.name, justify="right")
    columns = [figures_rows(f) for _, f in rows]
    for i, (label, _) in enumerate(columns[0] if columns else []):
        table.add_row(label, *(col[i][1] for col in columns))
    return table


LEGEND = """\
ours: default parameters (fairness and continuity policies on), solved by the flow model, or by
  CP-SAT bucket by bucket under integer rules; plain: the same without the policies (delivered
  cost alone); greedy: the baseline (priority, date, nearest, cheapest; keeps the integer rules).
wall time: eligibility, model, extraction and explanations; raw solver time: the min-cost flow
  (and CP-SAT) solves inside it, summed over worker processes on large instances.
optimality gap: (bound − weighted fill) / bound over the buckets CP-SAT solved, and the same for
  delivered cost plus the policies' penalties at that fill (value − bound) / value; CP-SAT buckets:
  buckets whose flow answer broke an integer rule; greedy fallbacks: buckets where CP-SAT found
  nothing in time.
fill rate: filled / ordered quantity; priority-weighted fill: filled quantity × buyer weight;
  delivered cost: goods + transport; cost of the policies: ours − plain; km per unit: unit-km /
  filled; default keeps the plain fill: same filled and weighted quantities (fill is never
  traded for the policies; under integer rules both are CP-SAT answers within the time limit,
  and may differ either way).
Gini of utilisation: of allocated / offered quantity over the groups eligible for a delivery
  (0: even); lowest utilisation: the least of them; smallest groups' share: volume share of the
  quarter of eligible groups with the fewest members; suppliers per order: distinct groups per
  served order (continuity).
LP: an independent two-phase GLOP LP (max weighted fill, then min delivered cost), market by
  market; agrees: same weighted fill and delivered cost as the plain model (the LP has no
  policies). Under integer rules it is their relaxation: its weighted fill bounds ours, and the
  gap to it is mostly what the rules themselves cost (the optimality gap above is CP-SAT's).
peak memory: max RSS of the solving process up to the end of our solve (generation, parsing,
  solve) and of the largest worker process it started; at the end: the same after the plain and
  greedy solves and the checks (fairness, LP)."""
