"""Fake trackers for tests: a loopback HTTP server base and stateful fakes built on it."""
