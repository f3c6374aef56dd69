"""``foodmatch bench api``: requests per second and latency of the HTTP API, on either engine.

The real service is started as a separate process (``uvicorn --factory api.app:create_app`` on a
local port) and measured over real HTTP by an ``httpx.AsyncClient`` with ``concurrency``
connections, one worker coroutine per connection. Access control is on: the bench writes a
coordinator key (and, once the kitchens are registered, one key per kitchen) straight into the
service's database with :func:`matcher.keys.create_key`, and every request carries one.

- ``inprocess``: the embedded engine, on a fresh temporary SQLite file unless ``--db`` is given.
- ``kafka``: the Kafka engine. A fresh topic prefix ``foodmatch-bench-<tag>`` (topics created
  here, deleted at the end), one worker process (``python -m consumers.worker``) waited for until
  it has been assigned partitions, then the API on the Kafka engine. PostgreSQL only.

On PostgreSQL a fresh database ``foodmatch_bench_<tag>`` is created for the run (and dropped
afterwards) when the URL's role may create databases; otherwise the given database is used and
the run's rows stay there (every id carries the run's tag). Rounds run only on request
(debounce 3600 s, no scheduled rounds), so the measured phases are not disturbed by them.

1. Setup, not timed: groups with a certificate each, kitchens, and supply of a few crops for the
   next weeks (every group offers every crop); then a key per kitchen.
2. Orders, timed: ``orders`` distinct ``POST /orders``, each with its own ``Idempotency-Key``,
   sent by the kitchen's own key.
3. One ``POST /rounds`` (coordinator), timed on its own: wall time and contracts made.
4. Contract reads, timed: ``reads`` requests, half ``GET /contracts?buyer_id=`` (the kitchen's
   list, default page) and half ``GET /contracts/{id}`` of one of the kitchen's contracts; four
   in five with the kitchen's key, one in five with the coordinator's.

5. Unless ``--no-reference``, once the service (and its worker) has stopped: the same orders, by
   the same client code with the same concurrency, to the minimal FastAPI + SQLite app of
   :mod:`bench.api.reference_app` (its own uvicorn process, a fresh SQLite file), and the ratio of
   the service's orders/s to the reference's, with whether issue 17's target holds (at least
   0.8 ×, p99 under 100 ms).

Per phase: requests, errors (non-2xx by status, or the transport error), wall seconds,
requests/s and latency percentiles (nearest rank over every request's ``perf_counter`` time).

The modules: :mod:`bench.api.workload` (the market and the calls of each phase),
:mod:`bench.api.driving` (the concurrent clients, the phases in order),
:mod:`bench.api.target` (the engine's database and topics), :mod:`bench.api.figures` (the
figures, their table and JSON) and :mod:`bench.api.run` (a run on each engine, and the report);
the coordinator's figures are timed by :mod:`bench.api.coordinator` on the market of
:mod:`bench.api.demo_market`; the processes are started by :mod:`bench.processes`.
"""
