"""The demo scenario's ids and names, as the tests refer to them (agent/sandbox/scenarios/demo.yaml).

Project k is `prj_0000000k-0000-4000-8000-000000000000`; its post j is `pp_0000000k-00jj-4000-8000-…`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def project(k: int) -> str:
    return f"prj_{k:08d}-0000-4000-8000-000000000000"


def post(k: int, j: int) -> str:
    return f"pp_{k:08d}-{j:04d}-4000-8000-000000000000"


def ads_content(k: int, j: int) -> str:
    return f"adc_{k:08d}-{j:04d}-4000-8000-000000000000"


BAKERY, YOGA, ACME, QUIET, LAUNDRY, NORTHWIND, PETS, DENTAL, KITES = (
    "Fresh Start Bakery",
    "Tiny Steps Yoga",
    "Acme Coffee",
    "Quiet Pages Books",
    "Loop Laundry",
    "Northwind Fitness",
    "Pixel Pets",
    "Bright Smile Dental",
    "Stormy Kites",
)
ACME_BREAKOUT = post(3, 1)
ACME_EXCLUDED = post(3, 10)  # the best engagement, but excluded by override
QUIET_TOP = post(4, 9)
LAUNDRY_BREAKOUT = post(5, 1)
DENTAL_SOURCE = post(8, 1)
KITES_BREAKOUT = post(9, 1)

# Saturday afternoon in the Americas: every demo customer's 06:00 local run is due today.
START = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
