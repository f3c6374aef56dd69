"""The crop calendar (``data/crop_calendar.csv``): how many days from planting to the first
harvest, and the months each crop grows well in Songkhla. Approximate figures from extension
guides (``data/README.md`` says which); read when first asked for, never at import time.

A crop with no ``days_to_first_harvest`` (eggs, milled rice) is produced, not planted for an
order: the planning report gives it no planting date.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from matcher.domain.errors import InvalidValue
from matcher.reference import data_dir

FILE = "crop_calendar.csv"
HEADER = ("crop_id", "days_to_first_harvest", "good_months", "note")


@dataclass(frozen=True, slots=True)
class CropSeason:
    crop_id: str
    days_to_first_harvest: int | None
    """None: produced (eggs, milled rice), not planted for an order."""
    good_months: frozenset[int]
    """Months (1-12) the crop grows well in Songkhla."""

    def plant_by(self, delivery: date) -> date | None:
        """The last day to plant for a first harvest by ``delivery`` (None: not planted)."""
        if self.days_to_first_harvest is None:
            return None
        return delivery - timedelta(days=self.days_to_first_harvest)


def _months(text: str, line: int) -> frozenset[int]:
    try:
        months = frozenset(int(part) for part in text.split(";") if part.strip())
    except ValueError:
        raise InvalidValue(f"{FILE}:{line}.good_months", f"{text!r} is not months") from None
    if not months or not months <= set(range(1, 13)):
        raise InvalidValue(f"{FILE}:{line}.good_months", f"{text!r}: give months 1 to 12")
    return months


def _days(text: str, line: int) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise InvalidValue(f"{FILE}:{line}.days_to_first_harvest", f"{text!r} is not a count")
    return int(text)


def parse_crop_calendar(text: str) -> dict[str, CropSeason]:
    """The calendar from the CSV text (an error names the line and the column)."""
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != HEADER:
        raise InvalidValue(f"{FILE}:1", f"header must be {','.join(HEADER)}")
    out: dict[str, CropSeason] = {}
    for row in reader:
        crop_id = (row["crop_id"] or "").strip()
        if not crop_id or crop_id in out:
            raise InvalidValue(f"{FILE}:{reader.line_num}.crop_id", f"{crop_id!r} empty or twice")
        out[crop_id] = CropSeason(
            crop_id,
            _days(row["days_to_first_harvest"] or "", reader.line_num),
            _months(row["good_months"] or "", reader.line_num),
        )
    return out


def load_crop_calendar(directory: Path | str | None = None) -> Mapping[str, CropSeason]:
    """The crop calendar of the reference data (read once per folder)."""
    folder = Path(directory).resolve() if directory is not None else data_dir().resolve()
    return _load(folder)


@lru_cache(maxsize=4)
def _load(folder: Path) -> Mapping[str, CropSeason]:
    return parse_crop_calendar((folder / FILE).read_text(encoding="utf-8"))
