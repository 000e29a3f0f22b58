"""Websocket compression done once per message, not once per client.

Every dashboard of an event receives the same status message (tens of kilobytes of JSON; 72 KB at the
50,000-person soak event), several times a second. With permessage-deflate each connection compressed it
again in its own zlib stream, on the event loop: in bench/soak_bench.py (50 clients) that was a fifth of
the API's CPU samples (py-spy), the largest single item, ahead of the writes themselves.

This server answers every offer with `server_no_context_takeover` (RFC 7692 lets a server add it), so a
message's compressed bytes depend only on the message and the negotiated window and settings; the last
few are kept, and every client after the first gets the same bytes. The 4 KiB window uvicorn negotiates
(12 bits) gave context takeover almost nothing to gain on messages this size. Messages from clients are
decompressed as before.

uvicorn is told to use `LiveWebSocketProtocol` (services/cli.py), its websockets-sansio protocol with
this factory instead of its own (same window bits and memory level).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import CTRL_OPCODES, Frame
from websockets.server import ServerProtocol

KEPT_MESSAGES = 8  # compressed messages kept; one event's newest snapshot, a few events, the notices
# (message, window bits, compressed), newest last. Looked up by comparing lengths, then contents: each
# client's frame is its own bytes object (uvicorn encodes the text per connection), so a dict keyed by
# the message hashed all of it again for every client (SipHash, plus a copy): 6.5 MB snapshots of a
# 300,000-person event to 100 clients made that three fifths of the API's CPU (py-spy). Equal lengths
# are rare between different messages, and comparing equal bytes is a memcmp.
_kept: list[tuple[bytes, int, bytes]] = []


def _find(data: bytes, bits: int) -> bytes | None:
    for i in range(len(_kept) - 1, -1, -1):
        message, window, compressed = _kept[i]
        if window == bits and len(message) == len(data) and message == data:
            if i != len(_kept) - 1:
                _kept.append(_kept.pop(i))
            return compressed
    return None


class SharedPerMessageDeflate(PerMessageDeflate):
    """permessage-deflate whose whole-message frames, compressed without context, are compressed once."""

    def encode(self, frame: Frame) -> Frame:
        if frame.opcode in CTRL_OPCODES or not frame.fin or not self.local_no_context_takeover:
            return super().encode(frame)
        message = frame.data if isinstance(frame.data, bytes) else bytes(frame.data)
        bits = self.local_max_window_bits or 15
        data = _find(message, bits)
        if data is None:
            data = bytes(super().encode(frame).data)
            _kept.append((message, bits, data))
            if len(_kept) > KEPT_MESSAGES:
                del _kept[0]
        return Frame(frame.opcode, data, frame.fin, True, frame.rsv2, frame.rsv3)


class SharedDeflateFactory(ServerPerMessageDeflateFactory):
    """uvicorn's settings (12-bit windows, memLevel 5), always without server context takeover."""

    def __init__(self) -> None:
        super().__init__(server_no_context_takeover=True, server_max_window_bits=12, client_max_window_bits=12,
                         compress_settings={"memLevel": 5})

    def process_request_params(self, params: Any, accepted_extensions: Any) -> tuple[Any, PerMessageDeflate]:
        response, extension = super().process_request_params(params, accepted_extensions)
        extension.__class__ = SharedPerMessageDeflate  # same state, the encode above
        return response, extension


class LiveWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol with `SharedDeflateFactory`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn = ServerProtocol(extensions=[SharedDeflateFactory()], max_size=self.config.ws_max_size,
                                       logger=self.conn.logger)
