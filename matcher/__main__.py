"""``python -m matcher``: the foodmatch command line."""

from matcher.cli import main

main()
