"""Loaded first for every test: the shared helpers live in the ``tests.support`` package, which
test modules import; no test module imports another test module or a conftest."""

from __future__ import annotations

import pytest

# The helpers' own asserts report the compared values, as a test's do.
pytest.register_assert_rewrite("tests.support")
