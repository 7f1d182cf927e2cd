"""The `agent` command: ops tooling over the decision table, and the worker's controls.

Register a command with one `lazy(...)` line: its module is imported only when the command runs, so
`agent --help` starts fast. The panel groups it in the help.
"""

from __future__ import annotations

import typer

from agent.cli import context
from agent.cli.lazy import AgentGroup, lazy

INSPECT, CONSENT, CUSTOMERS, PROCESSES = "Inspect", "Consent", "Customers", "Processes"

lazy("decisions", "agent.cli.decisions:decisions", "Recent decisions, newest first", panel=INSPECT)
lazy("explain", "agent.cli.explain:explain", "One decision in plain words, and what followed", panel=INSPECT)
lazy("why", "agent.cli.why:why", "Why a post was or was not cloned, on any day", panel=INSPECT)
lazy("backtest", "agent.cli.backtest:backtest", "Replay recorded days with changed thresholds", panel=INSPECT)
lazy("runs", "agent.cli.ops:runs", "Runs: status, times, trigger and every attempt", panel=INSPECT)
lazy("clones", "agent.cli.ops:clones", "Clones per source post, and the cap", panel=INSPECT)
lazy("health", "agent.cli.health:health", "The monitoring signals; exit 1 when one fires", panel=INSPECT)
lazy(
    "capacity", "agent.cli.capacity:capacity", "Customers this key can serve; exit 1 when over", panel=INSPECT
)
lazy("web", "agent.cli.web:web", "Serve the read-only web decision log", panel=INSPECT)
lazy("pending", "agent.cli.consent:pending", "Proposals waiting for consent, as diffs", panel=CONSENT)
lazy("approve", "agent.cli.consent:approve", "Approve a proposal and execute it once", panel=CONSENT)
lazy("reject", "agent.cli.consent:reject", "Turn a proposal down; it never executes", panel=CONSENT)
lazy("customers", "agent.cli.customers:app", "Add, show, change, pause, remove customers", panel=CUSTOMERS)
lazy("run", "agent.cli.running:run_command", "Run a loop for one customer now", panel=PROCESSES)
lazy("worker", "agent.cli.processes:worker", "Start a Celery worker", panel=PROCESSES, passthrough=True)
lazy("beat", "agent.cli.processes:beat", "Start Celery beat (the ticks)", panel=PROCESSES, passthrough=True)
lazy("flower", "agent.cli.processes:flower", "Start Celery Flower", panel=PROCESSES, passthrough=True)
lazy("sandbox", "agent.cli.processes:sandbox", "Serve the local Layers sandbox", panel=PROCESSES)
lazy(
    "webhooks", "agent.cli.webhooks:app", "Serve the webhook receiver; register it at Layers", panel=PROCESSES
)
lazy("demo", "agent.cli.demo:demo", "The whole agent on the sandbox's demo scenario", panel=PROCESSES)
lazy("migrate", "agent.cli.admin:migrate", "Upgrade the database to the latest schema", panel=PROCESSES)
lazy("ops-role", "agent.cli.admin:ops_role", "Create the read-only ops role, or its SQL", panel=PROCESSES)
lazy("ping", "agent.cli.admin:ping", "Exit 0 when the database (and Redis) answer", panel=PROCESSES)

app = typer.Typer(
    cls=AgentGroup,
    help="The growth agent: publish-to-learn and optimization loops on Layers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """The growth agent: publish-to-learn and optimization loops on Layers."""
    if ctx.invoked_subcommand == "sandbox":  # it reads no settings; it logs each request at INFO
        context.logging_from_environment()
