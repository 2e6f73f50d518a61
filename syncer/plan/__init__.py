"""Stage 2, plan: (postmortems, state, config) → `Plan`, the typed changes to make in the
trackers. Pure: no I/O, no network. `planner.py` is the entry point; identity, pairing and
matching decide which recorded item (and issue) each parsed item is."""
