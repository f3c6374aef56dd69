"""``python -m matcher.cli``: the foodmatch command line."""

from matcher.cli import main

main()
