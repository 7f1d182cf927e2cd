"""A faithful local simulator of the Layers Partner API, faults included.

Written from the contract alone (never from agent.layers), so the client and the sandbox check
each other. See docs/sandbox.md.
"""

from agent.sandbox.cli import run_sandbox
from agent.sandbox.clock import ManualClock
from agent.sandbox.faults import FaultConfig
from agent.sandbox.ratelimit import TIERS, RateLimitTier
from agent.sandbox.sandbox import Sandbox
from agent.sandbox.scenario import DEMO_SCENARIO_PATH, ScenarioError, load_scenario, parse_scenario
from agent.sandbox.scenario_schema import Scenario
from agent.sandbox.server import SandboxServer
from agent.sandbox.witness import Outcome, WitnessEntry, WitnessLog

__all__ = [
    "DEMO_SCENARIO_PATH",
    "TIERS",
    "FaultConfig",
    "ManualClock",
    "Outcome",
    "RateLimitTier",
    "Sandbox",
    "SandboxServer",
    "Scenario",
    "ScenarioError",
    "WitnessEntry",
    "WitnessLog",
    "load_scenario",
    "parse_scenario",
    "run_sandbox",
]
