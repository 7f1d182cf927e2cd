"""The `agent` command group: commands imported only when they run, and the one error boundary.

`agent --help` lists every command from a line of text each, so it starts without importing SQLAlchemy,
httpx or Celery; the module behind a command is imported when that command runs. Every operational
failure a command raises is turned into one line on stderr and an exit code here (`agent.cli.exits`);
anything else is a programming error and keeps its traceback.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

from agent.cli import exits


@dataclass(frozen=True)
class Entry:
    """A command as `agent --help` lists it, and where its code lives (`module:attribute`)."""

    name: str
    target: str
    help: str
    panel: str
    passthrough: bool = False


class Placeholder(TyperCommand):
    """Stands in for a command in the help listing until the command is run."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(entry.name, help=entry.help, short_help=entry.help, rich_help_panel=entry.panel)
        self.entry = entry

    def load(self) -> click.Command:
        module, _, attribute = self.entry.target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
        if not isinstance(target, typer.Typer):
            settings = {"allow_extra_args": True, "ignore_unknown_options": True}
            single = typer.Typer(add_completion=False, rich_markup_mode=None)  # plain help, fast
            single.command(self.entry.name, context_settings=settings if self.entry.passthrough else None)(
                target
            )
            target = single
        command = typer.main.get_command(target)
        command.name = self.entry.name
        return command


ENTRIES: list[Entry] = []


def lazy(name: str, target: str, help: str, *, panel: str, passthrough: bool = False) -> None:
    """Register a command: `lazy("runs", "agent.cli.ops:runs", "Runs with …", panel=INSPECT)`."""
    ENTRIES.append(Entry(name, target, help, panel, passthrough))


class AgentGroup(TyperGroup):
    """The root group: lazily loaded commands, and one line plus an exit code for every known failure."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for entry in ENTRIES:
            self.commands.setdefault(entry.name, Placeholder(entry))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, Placeholder):
            command = command.load()
        return name, command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Plain help, one section per panel (Rich's help would cost start-up time on every `--help`)."""
        sections: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                panel = getattr(command, "rich_help_panel", None) or "Commands"
                sections.setdefault(panel, []).append((name, command.get_short_help_str(formatter.width)))
        for panel, rows in sections.items():
            with formatter.section(panel):
                formatter.write_dl(rows)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        with _one_line_errors():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line_errors():
            return super().invoke(ctx)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Bad usage and operational failures: one line on stderr and their exit code."""
    try:
        yield
    except (typer.Exit, click.exceptions.NoArgsIsHelpError):
        raise  # a command's own exit code; `agent` alone prints the help
    except click.ClickException as exc:
        raise typer.Exit(exits.report(exits.usage_failure(exc))) from None
    except Exception as exc:
        failure = exits.classify(exc)
        if failure is None:
            raise  # a programming error: its traceback is the useful output
        raise typer.Exit(exits.report(failure)) from None
