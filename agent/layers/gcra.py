"""GCRA over several buckets, in Python and as its Lua twin (the shared limiter runs the Lua on Redis).

GCRA with emission interval T = 60 / rate and burst B keeps one "theoretical arrival time" (tat) per
bucket: a request at `now` may go at `max(tat, now) + T - B*T`; going advances `tat` by T. Here a request
has one or more alternative plans, each a set of buckets it must conform to, each with a headroom (tokens
the caller must leave in that bucket). The plan that lets it go soonest is taken; it is then accounted at
the moment it goes in every bucket of that plan. A refusal reserves nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    """One GCRA bucket a request must conform to, and the tokens this caller must leave in it."""

    name: str
    interval: float
    burst: int
    headroom: int = 0


@dataclass(frozen=True)
class Plan:
    """The ways a request may go (any one of them), and the spacing of the turns a refused admission gets
    (0: a refusal gets none)."""

    alternatives: tuple[tuple[Bucket, ...], ...]
    ticket_spacing_s: float = 0.0

    @property
    def names(self) -> list[str]:
        """Every bucket the plan touches, once, in a fixed order (the Lua script's KEYS)."""
        return list(dict.fromkeys(b.name for option in self.alternatives for b in option))


def _start(tat: float | None, now: float) -> float:
    return now if tat is None or tat < now else tat


def conform(
    tats: Mapping[str, float | None], now: float, plan: Plan, max_wait: float
) -> tuple[bool, float, dict[str, float]]:
    """(granted, wait seconds, the new tats of the buckets it went through). Mirrors ACQUIRE_LUA."""
    waits = [
        max(
            0.0,
            *(_start(tats.get(b.name), now) + (b.headroom + 1 - b.burst) * b.interval - now for b in option),
        )
        for option in plan.alternatives
    ]
    wait = min(waits)
    if wait > max_wait:
        return False, wait, {}
    option, goes = plan.alternatives[waits.index(wait)], now + wait
    return True, wait, {b.name: max(_start(tats.get(b.name), now), goes) + b.interval for b in option}


def gcra_step(
    tat: float, now: float, interval: float, burst: int, max_wait: float
) -> tuple[bool, float, float]:
    """One single-bucket GCRA decision: (granted, wait seconds, new tat)."""
    granted, wait, tats = conform({"b": tat}, now, Plan(((Bucket("b", interval, burst),),)), max_wait)
    return granted, wait, tats.get("b", tat)


def ticket(current: float | None, now: float, wait: float, spacing: float) -> float:
    """A refused admission's turn: after the previous turn, and after the room it waits for."""
    return max(current or now, now + wait) + spacing


def blocked_tat(now: float, seconds: float, interval: float, burst: int) -> float:
    """The tat that lets the next request go exactly `seconds` from now. Mirrors BACK_OFF_LUA."""
    return now + seconds + (burst - 1) * interval


def acquire_args(plan: Plan, max_wait: float) -> list[str | float]:
    """ARGV[2:] of ACQUIRE_LUA: max wait, ticket spacing, then per alternative its size and, per bucket,
    (index in KEYS, interval, burst, headroom)."""
    names = plan.names
    args: list[str | float] = [repr(max_wait), repr(plan.ticket_spacing_s), len(plan.alternatives)]
    for option in plan.alternatives:
        args.append(len(option))
        for b in option:
            args += [names.index(b.name) + 1, repr(b.interval), b.burst, b.headroom]
    return args


# ARGV[1] = now in seconds, or "" to use the Redis server's clock (one clock for every worker).
_NOW_LUA = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""
# KEYS = the plan's buckets, then its ticket key; ARGV as `acquire_args`.
ACQUIRE_LUA = (
    _NOW_LUA
    + """
local max_wait, spacing, plans = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local starts = {}
for i = 1, #KEYS - 1 do
  local start = tonumber(redis.call('GET', KEYS[i])) or now
  if start < now then start = now end
  starts[i] = start
end
local at, best, best_at = 5, nil, nil
for p = 1, plans do
  local n, wait = tonumber(ARGV[at]), 0
  local option = {}
  for j = 1, n do
    local k = at + 1 + (j - 1) * 4
    local index, interval = tonumber(ARGV[k]), tonumber(ARGV[k + 1])
    local burst, headroom = tonumber(ARGV[k + 2]), tonumber(ARGV[k + 3])
    option[j] = {index, interval}
    local w = starts[index] + (headroom + 1 - burst) * interval - now
    if w > wait then wait = w end
  end
  if best == nil or wait < best then best, best_at = wait, option end
  at = at + 1 + n * 4
end
if best > max_wait then
  if spacing > 0 then
    local turn = tonumber(redis.call('GET', KEYS[#KEYS])) or now
    if turn < now + best then turn = now + best end
    turn = turn + spacing
    redis.call('SET', KEYS[#KEYS], tostring(turn), 'PX', math.ceil((turn - now) * 1000) + 1000)
    return {0, tostring(turn - now)}
  end
  return {0, tostring(best)}
end
local goes = now + best
for _, b in ipairs(best_at) do
  local tat = math.max(starts[b[1]], goes) + b[2]
  redis.call('SET', KEYS[b[1]], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
end
return {1, tostring(best)}
"""
)
BACK_OFF_LUA = (
    _NOW_LUA
    + """
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local block_tat = now + tonumber(ARGV[4]) + (burst - 1) * interval
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
if block_tat > tat then
  redis.call('SET', KEYS[1], tostring(block_tat), 'PX', math.ceil((block_tat - now) * 1000) + 1000)
end
return 1
"""
)
