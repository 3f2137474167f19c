"""A fake fxclass board on a local TCP socket, for the link layer's error paths.

It answers INFO and INFER like the firmware (the class comes from the reference pipeline) and can
be told to misbehave: stay silent, reset (FAULT line, then a fresh announcement), or drop the
connection as a pulled cable would."""
from __future__ import annotations

import socket
import struct
import threading

import numpy as np

from fxclass.device import protocol as p
from fxclass.model.reference import Pipeline


class FakeBoard:
    def __init__(self, model, silent_after: int | None = None, reset_at: int | None = None,
                 unplug_at: int | None = None):
        self.model = model
        self.silent_after = silent_after
        self.reset_at = reset_at
        self.unplug_at = unplug_at
        self.inferences = 0
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.url = f"socket://127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def info_payload(self) -> bytes:
        m = self.model
        fixed = p.Info.FIXED.pack(1, 0, 1, 0, 1, p.MAX_PAYLOAD, 16_000_000, m.model_id, m.window_len, m.n_channels,
                                  m.hop_len, m.sample_rate_hz, m.n_classes, len(m.layers), 0, 0, 3072, 2304, 32)
        return fixed + b"fake\0" + b"".join(n.encode() + b"\0" for n in m.class_names)

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                if self._session(conn) == "unplug":
                    return

    def _session(self, conn):
        conn.sendall(b"\0fxclass 0.1.0 fake ready\r\n\0")
        reader = p.FrameReader()
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return None
            if not data:
                return None
            reader.feed(data)
            while reader.frames:
                frame = reader.frames.pop(0)
                if frame.type == p.INFO:
                    conn.sendall(p.encode(p.INFO_REPLY, frame.seq, self.info_payload()))
                elif frame.type == p.INFER:
                    self.inferences += 1
                    n = self.inferences
                    if self.unplug_at is not None and n == self.unplug_at:
                        conn.close()
                        self.server.close()
                        return "unplug"
                    if self.reset_at is not None and n == self.reset_at:
                        conn.sendall(b"\0FAULT pc=08000abc lr=08000def cfsr=00000000 hfsr=40000000\r\n\0"
                                     b"\0fxclass 0.1.0 fake ready\r\n\0")
                        continue
                    if self.silent_after is not None and n > self.silent_after:
                        continue
                    window = np.frombuffer(frame.payload, dtype="<i2").reshape(self.model.window_len, -1)
                    cls, prob = Pipeline(self.model).run(window[None])
                    record = struct.pack("<IBBHI", 0, int(cls[0]), self.model.n_classes, 0, 1234) + prob[0].astype("<i2").tobytes()
                    conn.sendall(p.encode(p.RESULT, frame.seq, record))

    def close(self):
        try:
            self.server.close()
        except OSError:
            pass
