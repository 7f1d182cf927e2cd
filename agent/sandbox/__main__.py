"""`python -m agent.sandbox`: run the sandbox without the agent's CLI (used by docker-compose)."""

from __future__ import annotations

import argparse

from agent.logging import configure_logging
from agent.sandbox.cli import run_sandbox
from agent.sandbox.faults import FaultConfig


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m agent.sandbox", description=__doc__)
    parser.add_argument("--scenario", default=None, help="scenario YAML (default: the bundled demo)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--tier", default=None, help="standard | pilot | partner | disabled (default: scenario)"
    )
    parser.add_argument("--job-duration-scale", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--jitter-ms", type=int, default=0)
    for name in ("429", "5xx", "reset", "late", "malformed", "drift"):
        parser.add_argument(f"--rate-{name}", type=float, default=0.0)
    args = parser.parse_args()
    configure_logging("INFO", "auto")
    faults = FaultConfig(
        seed=args.seed,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        rate_reset=args.rate_reset,
        rate_late=args.rate_late,
        rate_malformed=args.rate_malformed,
        rate_drift=args.rate_drift,
    )
    run_sandbox(args.scenario, args.port, args.host, faults, args.tier, args.job_duration_scale)


if __name__ == "__main__":
    main()
