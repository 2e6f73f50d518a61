"""pmsync: postmortem action items → tracked GitHub or Jira issues, exactly once."""

__version__ = "0.1.0"
