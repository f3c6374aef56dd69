"""The synthetic Songkhla market as a matching instance, for the demo, the streams and the
benchmarks (:mod:`matcher.scenario.songkhla`, built from its parts: buyers and orders, groups
and supply, certificates, and the instance document)."""

from matcher.scenario.songkhla import scaled_instance, season_start, songkhla_instance

__all__ = ["scaled_instance", "season_start", "songkhla_instance"]
