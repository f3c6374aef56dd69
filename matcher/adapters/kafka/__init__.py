"""Kafka plumbing shared by the engine, the workers, the publishing commands and the benchmarks:
client security, reaching the broker, the publisher and topic administration, the outbox relay."""
