"""Stage 3, sync: apply a `Plan` through the trackers, one group (tracker + container) at
a time, exactly once: reconcile, create, update, prune, read back. `engine.py` is the
entry point."""
