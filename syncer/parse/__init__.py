"""Stage 1, parse: postmortem files (Markdown or HTML) → `Postmortem`s with their action
items. Pure but for `files.py`, which finds and reads the files; `postmortem.py` is the
entry point."""
