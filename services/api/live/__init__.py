"""Live status over websockets, in rooms of their own.

- hub.py: `LiveHub`, the ONE Redis subscription of an API process, fanned out to its websockets;
  `close_all`, which says goodbye (1001) to every websocket when the process stops.
- slot.py: each websocket's latest slot (the newest pending message, never a backlog).
- access.py: who may watch an event, checked at the opening and re-checked while the socket is open.
- route.py: the websocket endpoint itself.

The message format is shared with the worker's publish: shared/live_messages.py.
"""

from services.api.live.hub import LiveHub, close_all
from services.api.live.route import router

__all__ = ["LiveHub", "close_all", "router"]
