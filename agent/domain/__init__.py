"""The domain core's shared vocabulary: enums, typed evidence and plain records. Pure, like `agent.rules`:
nothing here imports infrastructure or reads the clock, so the store, the loops, the CLI and the rules
can all speak it.
"""
