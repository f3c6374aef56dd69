"""The one percentile of both benchmarks: nearest rank, never interpolated."""

from __future__ import annotations

import pytest

from matcher.percentile import percentile


def test_the_percentile_is_the_value_of_the_nearest_rank() -> None:
    values = [35.0, 20.0, 15.0, 50.0, 40.0]  # sorted: 15 20 35 40 50

    assert percentile(values, 0) == 15
    assert percentile(values, 5) == 15
    assert percentile(values, 30) == 20
    assert percentile(values, 40) == 20
    assert percentile(values, 50) == 35
    assert percentile(values, 100) == 50


def test_the_p95_of_one_to_ten_is_a_measured_value_not_an_interpolation() -> None:
    values = [float(v) for v in range(1, 11)]

    assert percentile(values, 50) == 5
    assert percentile(values, 95) == 10
    assert percentile(values, 90) == 9


def test_a_hundred_values_give_their_own_ranks() -> None:
    hundred = [float(n) for n in range(100, 0, -1)]

    assert [percentile(hundred, q) for q in (50, 90, 95, 99, 100)] == [50, 90, 95, 99, 100]


def test_a_rank_that_falls_on_a_whole_number_takes_that_value() -> None:
    twenty = [float(n) for n in range(1, 21)]  # 95 % of 20 is exactly rank 19

    assert percentile(twenty, 95) == 19


def test_one_or_two_values() -> None:
    assert percentile([7.0], 99) == 7
    assert percentile([1.0, 2.0], 50) == 1  # the value at or below which half of them lie
    assert percentile([1.0, 2.0], 51) == 2


def test_a_percentile_of_nothing_or_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="undefined"):
        percentile([], 50)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], -1)
