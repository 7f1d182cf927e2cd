"""The sandbox's one command line: `agent sandbox` and `python -m agent.sandbox` both run `sandbox_command`.

Start-up problems (a missing, empty or invalid scenario file, a bad setting, a busy port) print one
line and exit 2, so a compose log or a terminal shows the cause rather than a traceback.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from agent.logging import configure_logging, get_logger
from agent.sandbox.faults import FaultConfig
from agent.sandbox.fleet import fleet_scenario
from agent.sandbox.sandbox import Sandbox
from agent.sandbox.scenario import DEMO_SCENARIO_PATH, ScenarioError, load_scenario

log = get_logger(__name__)
USAGE_ERROR = 2


def run_sandbox(
    scenario_path: str | None,
    port: int = 8080,
    host: str = "127.0.0.1",
    faults: FaultConfig | None = None,
    tier: str | None = None,
    job_duration_scale: float | None = None,
    *,
    webhook: tuple[str, str] | None = None,
    webhook_time_scale: float | None = None,
    time_scale: float | None = None,
    fleet: int | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. No scenario = the demo; `tier` None = the scenario's tier;
    `webhook` = (url, signing secret) of an endpoint registered at start-up for every event.

    Raises ScenarioError (the file), ValueError (a setting) or OSError (the address) before serving.
    """
    if fleet is not None and scenario_path:
        raise ValueError("--fleet generates the scenario: give it or --scenario, not both")
    scenario = (
        fleet_scenario(fleet) if fleet is not None else load_scenario(scenario_path or DEMO_SCENARIO_PATH)
    )
    sandbox = Sandbox(
        scenario,
        faults=faults or FaultConfig(),
        rate_limits=tier,
        job_duration_scale=job_duration_scale,
        webhook_time_scale=webhook_time_scale,
        time_scale=time_scale,
    )
    if webhook is not None:
        sandbox.register_webhook(*webhook)
    with sandbox.serve(host=host, port=port) as server:
        label = scenario_path or (f"fleet of {fleet}" if fleet is not None else "demo")
        faster = f", {sandbox.time_scale:g}x faster" if sandbox.time_scale != 1 else ""
        typer.echo(
            f"sandbox listening on {server.base_url} (scenario {label}, tier {sandbox.tier.name}{faster})"
        )
        log.info(
            "sandbox.listening",
            base_url=server.base_url,
            scenario=str(scenario_path or DEMO_SCENARIO_PATH),
            tier=sandbox.tier.name,
            projects=len(scenario.projects),
            webhook_url=webhook[0] if webhook else None,
        )
        _wait_for_a_stop_signal()
    log.info("sandbox.stopped")


def _wait_for_a_stop_signal() -> None:
    """Block until SIGTERM (when this is the main thread) or Ctrl-C; the previous handler is restored."""
    stop = threading.Event()
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set()) if on_main_thread else None
    try:
        stop.wait()
    except KeyboardInterrupt:
        log.info("sandbox.interrupted")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _share(fault: str, text: str) -> Any:
    """A fault rate option: `--fault-<name>`, also spelled `--rate-<name>` (the older spelling)."""
    return typer.Option(f"--fault-{fault}", f"--rate-{fault}", min=0.0, max=1.0, help=text)


def _webhook_share(fault: str, text: str) -> Any:
    return typer.Option(f"--fault-webhook-{fault}", min=0.0, max=1.0, help=text)


def _webhook_faults(drop: float, duplicate: float, delay: float, reorder: float) -> dict[str, Any]:
    """The `--fault-webhook-*` shares as FaultConfig fields."""
    shares = {"drop": drop, "duplicate": duplicate, "delay": delay, "reorder": reorder}
    return {f"rate_webhook_{name}": share for name, share in shares.items()}


def sandbox_command(
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario YAML (default: the bundled demo scenario)")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0 in a container)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0 = any free port)")] = 8080,
    tier: Annotated[
        str | None,
        typer.Option(help="Rate-limit tier: standard, pilot, partner or none (default: the scenario's)"),
    ] = None,
    job_duration_scale: Annotated[
        float | None, typer.Option(help="Multiply every job's duration (default: the scenario's)")
    ] = None,
    time_scale: Annotated[
        float | None,
        typer.Option(min=0.001, help="K: run K times faster (rate windows and job durations / K)"),
    ] = None,
    fleet: Annotated[
        int | None, typer.Option(min=1, help="Serve a generated fleet of N customers instead of a scenario")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fault sequence")] = 0,
    latency_ms: Annotated[int, typer.Option(min=0, help="Delay before every answer")] = 0,
    jitter_ms: Annotated[int, typer.Option(min=0, help="Up to this much more delay, at random")] = 0,
    fault_429: Annotated[float, _share("429", "Share of requests answered 429")] = 0.0,
    fault_5xx: Annotated[float, _share("5xx", "Share of requests answered 5xx")] = 0.0,
    fault_reset: Annotated[float, _share("reset", "Share of connections reset")] = 0.0,
    fault_late: Annotated[float, _share("late", "Share of mutations applied, then answered late")] = 0.0,
    fault_malformed: Annotated[
        float, _share("malformed", "Share of GETs answered with a cut JSON body")
    ] = 0.0,
    fault_drift: Annotated[float, _share("drift", "Share of answers with schema drift")] = 0.0,
    webhook_url: Annotated[
        str | None,
        typer.Option(envvar="SANDBOX_WEBHOOK_URL", help="Deliver every webhook event to this URL"),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(envvar="SANDBOX_WEBHOOK_SECRET", help="Signing secret of --webhook-url (whsec_…)"),
    ] = None,
    webhook_time_scale: Annotated[
        float | None,
        typer.Option(min=0.0, help="Multiply the webhook retry ladder (default: the job-duration scale)"),
    ] = None,
    fault_webhook_drop: Annotated[float, _webhook_share("drop", "Share of events never delivered")] = 0.0,
    fault_webhook_duplicate: Annotated[
        float, _webhook_share("duplicate", "Share of events delivered twice")
    ] = 0.0,
    fault_webhook_delay: Annotated[
        float, _webhook_share("delay", "Share of events held back --webhook-delay-s")
    ] = 0.0,
    fault_webhook_reorder: Annotated[
        float, _webhook_share("reorder", "Share of events held until a later event went first")
    ] = 0.0,
    webhook_delay_s: Annotated[
        float, typer.Option(min=0.0, help="How long a delayed or reordered event is held at most")
    ] = 5.0,
) -> None:
    """Serve the local Layers sandbox until SIGINT or SIGTERM (the demo, compose and the tests run on it)."""
    with _one_line_errors(host, port):
        if webhook_url and not webhook_secret:
            raise ValueError(
                "--webhook-url needs --webhook-secret (SANDBOX_WEBHOOK_SECRET), the signing secret"
            )
        faults = FaultConfig(
            seed=seed,
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            rate_429=fault_429,
            rate_5xx=fault_5xx,
            rate_reset=fault_reset,
            rate_late=fault_late,
            rate_malformed=fault_malformed,
            rate_drift=fault_drift,
        ).merged(
            _webhook_faults(
                fault_webhook_drop, fault_webhook_duplicate, fault_webhook_delay, fault_webhook_reorder
            )
            | {"webhook_delay_s": webhook_delay_s}
        )
        run_sandbox(
            str(scenario) if scenario else None,
            port,
            host,
            faults,
            tier,
            job_duration_scale,
            webhook=(webhook_url, str(webhook_secret)) if webhook_url else None,
            webhook_time_scale=webhook_time_scale,
            time_scale=time_scale,
            fleet=fleet,
        )


@contextmanager
def _one_line_errors(host: str, port: int) -> Iterator[None]:
    try:
        yield
    except ScenarioError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except ValueError as exc:
        _fail(str(exc))


def _fail(message: str) -> None:
    typer.echo(f"sandbox: {' '.join(message.split())}", err=True)
    raise typer.Exit(USAGE_ERROR)


def main() -> None:
    """`python -m agent.sandbox`: the same command, with the agent CLI's logging defaults."""
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    configure_logging("WARNING" if level == "INFO" else level, os.environ.get("LOG_FORMAT", "auto"))
    typer.run(sandbox_command)
