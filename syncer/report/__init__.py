"""Stage 5, report: what a run found and did, as tables, Markdown, CSV, JSON, the HTML
dashboard, the CI job summary and the reminder digests sent to chat."""
