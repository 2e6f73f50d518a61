"""Stage 4, state: the file recording what pmsync pushed (`store.py`), its git merge
driver, its rebuild from the trackers' markers, and the git files written beside it."""
