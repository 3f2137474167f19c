"""Serial link to a board or emulator, and the device client that speaks the protocol over it."""
from __future__ import annotations

import os
import socket
import struct
import time
import zlib
from typing import Iterator

import numpy as np
import serial

from . import protocol as p
from ..errors import DeviceError, LinkError
from .ports import default_port

DEFAULT_BAUD = 115200
ENV_PORT = "FXCLASS_PORT"
ENV_BAUD = "FXCLASS_BAUD"
CONNECT_RESEND_S = 0.5  # while connecting, INFO again after this long without an answer
MAX_EXTENSIONS = 4  # times a reply's time-out starts again because a frame is arriving
# The longest a write to flash keeps the firmware from answering: a 128 KiB sector's erase takes up
# to 2 s (STM32F446/F411 datasheets, x32 parallelism), the program a fraction of that.
FLASH_WRITE_S = 5.0


class Link:
    """A byte pipe opened with pyserial's serial_for_url: a device path, socket://host:port, loop://."""

    def __init__(self, url: str, baud: int = DEFAULT_BAUD):
        self.url = url
        try:
            self._port = serial.serial_for_url(url, baudrate=baud, timeout=0.02, write_timeout=5)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise LinkError(f"cannot open {url}: {exc}. Check the cable or URL; `fxclass ports` lists "
                            "serial ports, and `fxclass sim` starts an emulator with a socket:// URL.") from exc
        self._low_latency()
        self.reader = p.FrameReader()
        self.bytes_written = 0
        self.bytes_read = 0

    def _low_latency(self) -> None:
        """On a socket:// link, send each request at once instead of holding small writes back for
        the peer's acknowledgement (Nagle's algorithm costs ~40 ms per round trip)."""
        sock = getattr(self._port, "_socket", None)
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass  # not a TCP socket: nothing to tune

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"write to {self.url} failed: {exc} (was the board unplugged?)") from exc
        self.bytes_written += len(data)

    def poll(self, wait: bool = True) -> int:
        """Feed the frame reader all that has arrived, waiting up to 20 ms for a first byte unless not
        wait; the number of bytes read."""
        try:
            data = self._port.read(max(1, self._port.in_waiting or 1)) if wait else b""
            data += self._arrived()
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"read from {self.url} failed: {exc} (was the board unplugged?)") from exc
        if data:
            self.bytes_read += len(data)
            self.reader.feed(data)
        return len(data)

    def _arrived(self) -> bytes:
        """What is there to read now, without waiting. pyserial's socket:// says at most 1 byte is
        waiting and reads one a call: a busy machine that starves this process would have a reply
        that came long ago read a byte per loop, so the socket is emptied directly."""
        sock = getattr(self._port, "_socket", None)
        if sock is None:
            waiting = self._port.in_waiting
            return self._port.read(waiting) if waiting else b""
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            if not chunk:
                break  # the peer closed: the next blocking read says so
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._port.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class WallClock:
    """A board's time, the wall clock; it never dies. An emulator's (emu/process.py) runs slower when
    the machine starves it, and says when the emulator has exited."""

    def dead(self) -> str | None:
        return None

    def timer(self) -> "WallTimer":
        return WallTimer()


class WallTimer:
    own_time = False

    def __init__(self):
        self.restart()

    def restart(self) -> None:
        self._start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._start


class Device:
    """The firmware's protocol over a Link: every method is one request and its reply.

    A reply may take timeout seconds of the target's time (clock: a board's is the wall clock, an
    emulator's runs slower while the machine starves it), counted from the request or from the last
    byte received, since bytes arriving are a reply on its way; a target that is gone (an emulator
    that exited, a socket closed) fails at once."""

    def __init__(self, link: Link, timeout: float = 3.0, clock=None):
        self.link = link
        self.timeout = timeout
        self.clock = clock or WallClock()
        self._seq = 0
        self.info: p.Info | None = None
        self.announcements: list[str] = []
        self.unsolicited: list[p.Frame] = []  # LIVE results, samples and sensor events, in order

    @classmethod
    def open(cls, url: str | None = None, baud: int | None = None, timeout: float = 3.0,
             boot_timeout: float = 10.0, clock=None) -> "Device":
        url = url or os.environ.get(ENV_PORT)
        if not url:
            url = default_port()
        if not baud:
            try:
                baud = int(os.environ.get(ENV_BAUD, DEFAULT_BAUD))
            except ValueError:
                raise LinkError(f"${ENV_BAUD}={os.environ[ENV_BAUD]!r} is not a baud rate: give a number such as "
                                "115200") from None
        dev = cls(Link(url, baud), timeout, clock)
        try:
            dev.connect(boot_timeout)
        except Exception:
            dev.close()
            raise
        return dev

    def connect(self, boot_timeout: float = 10.0) -> p.Info:
        """INFO until it is answered: sent again at once when the firmware announces itself (a request
        that came before its UART was enabled is lost), and every CONNECT_RESEND_S meanwhile."""
        booting = self.clock.timer()
        while True:
            seq = self.send(p.INFO)
            announced = len(self.announcements)
            resend = time.monotonic() + CONNECT_RESEND_S
            while time.monotonic() < resend and len(self.announcements) == announced:
                reply = self._reply(seq, p.INFO_REPLY)
                if reply is not None:
                    self.info = p.Info.parse(reply.payload)
                    return self.info
                gone = self.clock.dead()
                if gone:
                    raise LinkError(f"{gone}: no answer from {self.link.url}")
                self.link.poll()
            if booting.elapsed() > boot_timeout:
                raise LinkError(f"no answer from {self.link.url} within {boot_timeout:.0f} s{self._whose(booting)}: "
                                "is the fxclass firmware flashed and running, and the baud rate right? (--timeout T "
                                "waits longer)")

    def close(self) -> None:
        self.link.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- requests -------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

    def send(self, msg_type: int, payload: bytes = b"") -> int:
        seq = self._next_seq()
        self.link.write(p.encode(msg_type, seq, payload))
        return seq

    def send_at_once(self, requests: list[tuple[int, bytes]]) -> list[int]:
        """Several requests in a single write, so that they arrive as one burst; their seqs."""
        seqs = [self._next_seq() for _ in requests]
        self.link.write(b"".join(p.encode(t, seq, payload) for (t, payload), seq in zip(requests, seqs)))
        return seqs

    def _take_texts(self) -> None:
        for text in self.link.reader.texts:
            self.announcements.append(text)
            if text.startswith("FAULT"):
                self.link.reader.texts.clear()
                raise LinkError(f"the firmware reported a fault and reset: {text}")
        self.link.reader.texts.clear()

    @staticmethod
    def _whose(timer) -> str:
        return " of the emulator's running time" if timer.own_time else ""

    def _reply(self, seq: int, expect: int) -> p.Frame | None:
        """The reply to seq among the frames received so far, or None; an ERROR reply raises."""
        self._take_texts()  # before the frames: a reply and the text before it can come in one read
        frames = self.link.reader.frames
        while frames:
            frame = frames.pop(0)
            if frame.type in p.UNSOLICITED:
                self.unsolicited.append(frame)
                continue
            if frame.seq != seq:
                continue  # a late reply to an earlier, abandoned request
            if frame.type == p.ERROR:
                code = frame.payload[0] if frame.payload else 0
                raise DeviceError(f"the firmware refused the request: {p.error_text(code)}", code)
            if frame.type == expect:
                return frame
        return None

    def wait_reply(self, seq: int, expect: int, timeout: float | None = None) -> p.Frame:
        budget = timeout or self.timeout
        waiting = self.clock.timer()
        seen = self.link.bytes_read
        extensions = 0
        while True:
            reply = self._reply(seq, expect)
            if reply is not None:
                return reply
            gone = self.clock.dead()
            if gone:
                raise LinkError(f"{gone}: no reply from {self.link.url}")
            if waiting.elapsed() > budget:
                # This process may have been starved while the emulator answered and went idle (its
                # time then runs at the wall clock's pace): read what came before giving up.
                self.link.poll(wait=False)
                reply = self._reply(seq, expect)
                if reply is not None:
                    return reply
                if self.link.reader.pending and self.link.bytes_read != seen and extensions < MAX_EXTENSIONS:
                    seen, extensions = self.link.bytes_read, extensions + 1  # a frame on its way: wait for it
                    waiting.restart()
                    continue
                raise LinkError(f"no reply from {self.link.url} within {budget:.1f} s{self._whose(waiting)}: a slow "
                                "device or a busy machine needs a longer --timeout")
            self.link.poll()

    def request(self, msg_type: int, payload: bytes, expect: int, timeout: float | None = None) -> p.Frame:
        return self.wait_reply(self.send(msg_type, payload), expect, timeout)

    def request_info(self, timeout: float | None = None) -> p.Info:
        self.info = p.Info.parse(self.request(p.INFO, b"", p.INFO_REPLY, timeout).payload)
        return self.info

    def _window_bytes(self, window: np.ndarray) -> bytes:
        info = self.info
        window = np.asarray(window)
        if window.shape != info.shape.window_shape:
            raise DeviceError(f"window shaped {window.shape}, the model on the device takes "
                              f"({info.window_len}, {info.n_channels})")
        return window.astype("<i2").tobytes()

    def _max_payload(self) -> int:
        """The largest frame payload that both the device and this host take."""
        return min(self.info.max_payload, p.MAX_PAYLOAD)

    def infer(self, window: np.ndarray) -> p.Result:
        """Classify one window (window_len, n_channels) int16."""
        payload = self._window_bytes(window)
        if len(payload) > self._max_payload():
            # Too large for one frame: load it through a fresh stream, whose first hop is the window.
            results = list(self.stream(window))
            return results[0]
        return p.Result.parse_many(self.request(p.INFER, payload, p.RESULT).payload, 1)[0]

    def stream(self, samples: np.ndarray, chunk_samples: int | None = None) -> Iterator[p.Result]:
        """Stream a recording (n, n_channels) int16; yields one result per hop, in order."""
        info = self.info
        samples = np.asarray(samples)
        if samples.ndim != 2 or samples.shape[1] != info.n_channels:
            raise DeviceError(f"recording shaped {samples.shape}, the device takes {info.n_channels} channels")
        self.request(p.STREAM_START, b"", p.ACK)
        per_frame = chunk_samples or max(1, self._max_payload() // (2 * info.n_channels))
        for start in range(0, len(samples), per_frame):
            seq = self.send(p.STREAM_DATA, samples[start:start + per_frame].astype("<i2").tobytes())
            while True:
                frame = self.wait_reply(seq, p.STREAM_REPLY)
                _, count, last = struct.unpack_from("<IBB", frame.payload)
                yield from p.Result.parse_many(frame.payload[6:], count)
                if last:
                    break

    def take_events(self) -> list[p.Event]:
        """The EVENTs received so far (a stream's: each before the result record of its hop), taken out of
        the unsolicited frames."""
        events = [p.Event.parse(f.payload) for f in self.unsolicited if f.type == p.EVENT]
        self.unsolicited = [f for f in self.unsolicited if f.type != p.EVENT]
        return events

    def upload(self, blob: bytes, chunk: int | None = None, progress=None, keep: bool = False) -> None:
        """Send a model blob, in chunks of chunk bytes (as many as a frame of the device takes, by
        default); it replaces the running model only if the firmware accepts it whole. keep: the
        firmware writes it to flash, where it survives a reset (else it runs from RAM until one)."""
        chunk = chunk or self._max_payload() - 4
        begin = struct.pack("<II", len(blob), zlib.crc32(blob)) + (bytes([p.UPLOAD_KEEP]) if keep else b"")
        self.request(p.UPLOAD_BEGIN, begin, p.ACK)
        for offset in range(0, len(blob), chunk):
            part = blob[offset:offset + chunk]
            self.request(p.UPLOAD_CHUNK, struct.pack("<I", offset) + part, p.ACK)
            if progress:
                progress(len(part))
        # A kept model is written to flash before the ACK: a 128 KiB sector's erase takes up to 2 s.
        self.request(p.UPLOAD_COMMIT, b"", p.ACK, timeout=max(self.timeout, FLASH_WRITE_S) if keep else None)
        self.request_info()

    def config(self) -> p.ConfigReply:
        return p.ConfigReply.parse(self.request(p.CONFIG_GET, b"", p.CONFIG_REPLY).payload)

    def set_config(self, values: dict[int, int]) -> p.ConfigReply:
        """Set keys (all or none); the firmware keeps the result in flash where it has a controller."""
        payload = p.ConfigReply.entries(values)
        frame = self.request(p.CONFIG_SET, payload, p.CONFIG_REPLY, timeout=max(self.timeout, FLASH_WRITE_S))
        return p.ConfigReply.parse(frame.payload)

    def reset_config(self) -> p.ConfigReply:
        frame = self.request(p.CONFIG_RESET, b"", p.CONFIG_REPLY, timeout=max(self.timeout, 2 * FLASH_WRITE_S))
        return p.ConfigReply.parse(frame.payload)

    def forget(self) -> p.Info:
        """Erase the kept models and configuration (four sectors: models first, then the configuration);
        the board then runs its built-in model with the defaults, as when flashed. Returns the new INFO."""
        self.request(p.FORGET, b"", p.ACK, timeout=max(self.timeout, 4 * FLASH_WRITE_S))
        return self.request_info()

    def stats(self) -> dict[str, int]:
        payload = self.request(p.STATS, b"", p.STATS_REPLY).payload
        n = min(len(payload) // 4, len(p.STATS_FIELDS))
        return dict(zip(p.STATS_FIELDS, struct.unpack_from(f"<{n}I", payload)))

    # -- the board's own sensor --------------------------------------------------------------

    def set_mode(self, mode: int) -> p.ModeReply:
        """MODE_HOST, or MODE_LIVE and/or MODE_RECORD: the firmware starts its sensor for the model."""
        self.unsolicited.clear()
        return p.ModeReply.parse(self.request(p.MODE, bytes([mode]), p.MODE_REPLY).payload)

    def sensor_frames(self, timeout: float | None = None) -> Iterator[p.LiveResult | p.SampleBlock | p.SensorEvent |
                                                                      p.Event]:
        """What LIVE and RECORD send, as it comes; ends when nothing has come for timeout seconds of
        the target's time (never, without one)."""
        parsers = {p.LIVE_RESULT: p.LiveResult.parse, p.SAMPLES: p.SampleBlock.parse,
                   p.SENSOR_EVENT: p.SensorEvent.parse, p.EVENT: p.Event.parse}
        quiet = self.clock.timer()
        while True:
            self._take_texts()
            for frame in self.link.reader.frames:
                if frame.type in p.UNSOLICITED:
                    self.unsolicited.append(frame)
            self.link.reader.frames.clear()
            while self.unsolicited:
                quiet.restart()
                frame = self.unsolicited.pop(0)
                yield parsers[frame.type](frame.payload)
            gone = self.clock.dead()
            if gone:
                raise LinkError(f"{gone}: nothing more from {self.link.url}")
            if timeout is not None and quiet.elapsed() > timeout and not self.link.poll(wait=False):
                return
            self.link.poll()

    def reset(self, boot_timeout: float = 10.0) -> p.Info:
        self.request(p.RESET, b"", p.ACK)
        time.sleep(0.2)
        self.link.reader.frames.clear()
        return self.connect(boot_timeout)
