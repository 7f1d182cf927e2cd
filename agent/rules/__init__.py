"""Pure decision rules: plain dataclasses in, plain dataclasses out.

Nothing here touches the network, the database, the clock or the settings module, so every decision the
agent takes can be replayed from its recorded inputs and tested exhaustively.
"""
