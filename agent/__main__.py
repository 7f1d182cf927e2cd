"""`python -m agent …` is the `agent` command."""

from agent.cli import app

app(prog_name="agent")
