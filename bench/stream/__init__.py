"""``foodmatch bench stream``: the Kafka stream measured end to end in one run. It starts what it
needs (workers on fresh topics and fresh PostgreSQL databases, the minimal reference consumer),
drains pre-loaded orders, offers orders at fixed rates, and stops everything at the end."""
