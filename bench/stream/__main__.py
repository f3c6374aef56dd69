"""``python -m bench.stream``: what ``foodmatch bench stream`` runs (bench.stream.run)."""

from bench.stream.run import main

raise SystemExit(main())
