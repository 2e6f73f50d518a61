"""Status sync, the nightly run: read every tracked issue's state in bulk (`refresh.py`)
and write links and done marks back into the postmortems."""
