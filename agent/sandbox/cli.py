"""Blocking entry point behind `agent sandbox --scenario FILE --port N` and `python -m agent.sandbox`."""

from __future__ import annotations

import signal
import threading

from agent.logging import get_logger
from agent.sandbox.faults import FaultConfig
from agent.sandbox.sandbox import Sandbox
from agent.sandbox.scenario import DEMO_SCENARIO_PATH, load_scenario

log = get_logger(__name__)


def run_sandbox(
    scenario_path: str | None,
    port: int = 8080,
    host: str = "127.0.0.1",
    faults: FaultConfig | None = None,
    tier: str | None = None,
    job_duration_scale: float | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. No scenario = the demo; `tier` None = the scenario's tier."""
    scenario = load_scenario(scenario_path or DEMO_SCENARIO_PATH)
    sandbox = Sandbox(
        scenario, faults=faults or FaultConfig(), rate_limits=tier, job_duration_scale=job_duration_scale
    )
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with sandbox.serve(host=host, port=port) as server:
        log.info(
            "sandbox.listening",
            base_url=server.base_url,
            scenario=str(scenario_path or DEMO_SCENARIO_PATH),
            tier=sandbox.tier.name,
            projects=len(scenario.projects),
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            log.info("sandbox.interrupted")
    log.info("sandbox.stopped")
