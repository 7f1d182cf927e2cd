"""The web decision log (issue 14): a read-only, server-rendered view of the decision table."""
