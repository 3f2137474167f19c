"""The firmware end to end over its console: the netduinoplus2 image in QEMU (USART2 on a socket), and
the same application natively on hal/host under AddressSanitizer and UndefinedBehaviorSanitizer."""
from __future__ import annotations

import re
import signal
import struct
import subprocess
import time
import zlib
from dataclasses import replace

import numpy as np
import pytest
import serial

from fxclass.data import datasets
from fxclass.device import protocol as p
from fxclass.emu.emulator import Emulator
from fxclass.errors import DeviceError
from fxclass.firmware.build import REPO, elf_symbols
from fxclass.model import fxm
from fxclass.model.reference import Pipeline


@pytest.fixture(scope="module", params=["qemu", "native"])
def emulator(request, firmware_elf, native_binary):
    native = request.param == "native"
    with Emulator(elf=native_binary if native else firmware_elf, native=native) as emu:
        yield emu


def test_info_describes_board_and_model(emulator, device, default_model):
    info = device.request_info()
    assert info.protocol_version == p.PROTOCOL_VERSION
    assert info.model_id == default_model.model_id
    assert info.shape == default_model.shape
    assert info.class_names == default_model.class_names
    if emulator.native:
        # The native application announces itself the moment the connection is accepted, and
        # pyserial's socket:// discards what is waiting when it opens; test_reset sees the line.
        assert (info.board, info.cycle_source, info.sysclk_hz) == ("host", "host", 1_000_000_000)
    else:
        assert info.board == "netduinoplus2"
        assert info.cycle_source == "systick"  # QEMU's DWT reads zero
        assert info.sysclk_hz == 16_000_000  # QEMU's RCC never reports HSE ready: the HSI fallback
        assert any(t.startswith("fxclass 0.1.0 netduinoplus2 ready") for t in device.announcements)


def test_infer_matches_reference_on_basicmotions(device, default_model):
    test = datasets.basicmotions("test")
    ref_class, ref_prob = Pipeline(default_model).run(test.windows)
    for i in range(0, len(test), 2):
        r = device.infer(test.windows[i])
        assert r.class_index == ref_class[i]
        assert np.array_equal(r.prob_q15, ref_prob[i]), f"window {i}"
        assert r.cycles > 0


def test_stream_answers_every_hop_once(device, default_model):
    test = datasets.basicmotions("test")
    recording = np.concatenate(test.windows[:8])  # 800 samples
    m = default_model
    results = list(device.stream(recording))
    n_hops = (len(recording) - m.window_len) // m.hop_len + 1
    assert [r.index for r in results] == list(range(n_hops))
    starts = np.arange(n_hops) * m.hop_len
    windows = np.stack([recording[s:s + m.window_len] for s in starts])
    ref_class, ref_prob = Pipeline(m).run(windows)
    assert [r.class_index for r in results] == ref_class.tolist()
    assert np.array_equal(np.stack([r.prob_q15 for r in results]), ref_prob)


def test_stream_in_uneven_chunks_gives_the_same_results(device, default_model):
    rng = np.random.default_rng(5)
    recording = rng.integers(-3000, 3000, size=(333, default_model.n_channels)).astype(np.int16)
    whole = [(r.index, r.class_index, r.prob_q15.tolist()) for r in device.stream(recording)]
    pieces = [(r.index, r.class_index, r.prob_q15.tolist()) for r in device.stream(recording, chunk_samples=7)]
    assert whole == pieces and len(whole) == (333 - 100) // 50 + 1


def test_wrong_window_size_is_an_error_reply(device):
    seq = device.send(p.INFER, b"\0" * 10)
    with pytest.raises(DeviceError) as err:
        device.wait_reply(seq, p.RESULT)
    assert err.value.code == 0x02


def test_garbage_truncated_oversized_and_bad_crc_frames_are_counted_and_survived(device, default_model):
    before = device.stats()
    rng = np.random.default_rng(6)
    link = device.link
    link.write(bytes(rng.integers(1, 256, size=500, dtype=np.uint8)) + b"\0")  # garbage: one bad frame
    good = p.encode(p.INFO, 77)
    link.write(good[:5] + b"\0")  # truncated
    bad_crc = bytearray(p.body(p.INFO, 78))
    bad_crc[-1] ^= 0xFF
    from cobs import cobs
    link.write(cobs.encode(bytes(bad_crc)) + b"\0")
    link.write(b"\x55" * (p.MAX_PAYLOAD + 1000) + b"\0")  # oversized: longer than any frame the firmware takes
    time.sleep(0.5)
    after = device.stats()
    assert after["crc_errors"] == before["crc_errors"] + 1
    assert after["oversize_frames"] == before["oversize_frames"] + 1
    assert after["framing_errors"] >= before["framing_errors"] + 2
    window = datasets.basicmotions("test").windows[3]
    r = device.infer(window)
    ref_class, ref_prob = Pipeline(default_model).run(window[None])
    assert r.class_index == ref_class[0] and np.array_equal(r.prob_q15, ref_prob[0])


def _retrained_model(default_model):
    """A different valid model: the default with one class's bias raised."""
    layers = [fxm.Layer(l.weights.copy(), l.bias.copy(), l.mult, l.shift, l.relu, l.logits) for l in default_model.layers]
    layers[-1].bias[0] += 5000
    m = fxm.Model(default_model.shape, default_model.class_names, default_model.input_offset, default_model.input_mult,
                  default_model.input_shift, layers, model_id=0xC0FFEE, feature_set=default_model.feature_set)
    return m


def test_upload_good_bad_and_interrupted(device, default_model):
    window = datasets.basicmotions("test").windows[0]
    new = _retrained_model(default_model)
    blob = fxm.pack(new)
    # A corrupt blob with a matching transfer CRC: parsed and refused, the old model stays.
    corrupt = bytearray(blob)
    corrupt[100] ^= 0x40
    with pytest.raises(DeviceError) as err:
        device.upload(bytes(corrupt))
    assert err.value.code == 0x10 + 5  # FX_ERR_CRC of the blob itself
    assert device.request_info().model_id == default_model.model_id
    # Interrupted: begin and one chunk, then an inference; the old model still answers.
    device.request(p.UPLOAD_BEGIN, struct.pack("<II", len(blob), zlib.crc32(blob)), p.ACK)
    device.request(p.UPLOAD_CHUNK, struct.pack("<I", 0) + blob[:256], p.ACK)
    r = device.infer(window)
    assert np.array_equal(r.prob_q15, Pipeline(default_model).run(window[None])[1][0])
    with pytest.raises(DeviceError):
        device.request(p.UPLOAD_COMMIT, b"", p.ACK)  # incomplete: refused
    # Too large.
    with pytest.raises(DeviceError) as err:
        device.request(p.UPLOAD_BEGIN, struct.pack("<II", 1 << 20, 0), p.ACK)
    assert err.value.code == 0x04
    # Good upload, twice (the second is received while the first runs).
    for m in (new, default_model):
        device.upload(fxm.pack(m))
        assert device.info.model_id == m.model_id and device.info.model_uploaded
        r = device.infer(window)
        assert np.array_equal(r.prob_q15, Pipeline(m).run(window[None])[1][0])


@pytest.fixture(scope="module")
def large_models():
    """Models of the largest windows, 2048 x 1 and 256 x 12 (192 features; the second with the compact
    input stage), and one of 32,716 bytes, near the 32 KiB the firmware takes."""
    import blobs

    return [blobs.trained(2048, 1, 2, (8,)), blobs.trained(256, 12, 2, (16,), input_stage="compact"),
            blobs.trained(256, 12, 2, (128, 28), epochs=20)]


def test_infer_of_the_largest_windows_and_models_matches_the_reference(device, large_models):
    """Each uploaded (a model as large as the firmware takes among them), then windows of 2048 x 1 and
    of 256 x 12 values in one INFER frame each, up to the 6,144 bytes of the largest, and the same
    windows streamed: classes and probabilities equal to the reference's."""
    import blobs

    assert len(fxm.pack(large_models[-1])) > 32_000
    try:
        for m in large_models:
            device.upload(fxm.pack(m))
            info = device.info
            assert info.model_id == m.model_id and info.shape == m.shape and info.max_payload == 6144
            assert info.max_model_bytes == 32768 and info.max_window_values == 3072
            windows = blobs.windows(m.window_len, m.n_channels, n_per_class=2, seed=3).windows
            windows[0] = 32767
            windows[1, ::2], windows[1, 1::2] = -32768, 32767
            ref_class, ref_prob = Pipeline(m).run(windows)
            for i, window in enumerate(windows):
                r = device.infer(window)
                assert r.class_index == ref_class[i] and np.array_equal(r.prob_q15, ref_prob[i]), i
            streamed = list(device.stream(windows.reshape(-1, m.n_channels)))
            starts = [k * m.window_len for k in range(len(windows))]
            hops = {m.shape.window_starts(len(windows) * m.window_len).index(s): k for k, s in enumerate(starts)}
            for hop, k in hops.items():
                assert np.array_equal(streamed[hop].prob_q15, ref_prob[k]), (hop, k)
    finally:
        device.reset()


def test_an_inference_abandons_an_upload_in_progress(device, default_model):
    """The upload is received into the inference memory: an INFER in the middle of it runs, and the
    upload's next chunk and its commit are refused as out of sequence (0x03)."""
    blob = fxm.pack(_retrained_model(default_model))
    window = datasets.basicmotions("test").windows[0]
    device.request(p.UPLOAD_BEGIN, struct.pack("<II", len(blob), zlib.crc32(blob)), p.ACK)
    device.request(p.UPLOAD_CHUNK, struct.pack("<I", 0) + blob[:256], p.ACK)
    r = device.infer(window)
    assert np.array_equal(r.prob_q15, Pipeline(default_model).run(window[None])[1][0])
    for msg, payload in ((p.UPLOAD_CHUNK, struct.pack("<I", 256) + blob[256:512]), (p.UPLOAD_COMMIT, b"")):
        with pytest.raises(DeviceError) as err:
            device.request(msg, payload, p.ACK)
        assert err.value.code == 0x03
    assert device.request_info().model_id == default_model.model_id


def test_reset_reboots_and_announces(device, default_model):
    device.announcements.clear()
    info = device.reset()
    assert info.model_id == default_model.model_id and not info.model_uploaded
    assert any(t.startswith(f"fxclass 0.1.0 {info.board} ready") for t in device.announcements)


def test_layers_off_the_m4_fast_path_match_the_reference(device, default_model):
    """Uploaded models whose shapes or shifts the Cortex-M4 whole-layer path does not take."""
    from fxclass.model import train
    from fxclass.model.quantize import quantize

    bm = datasets.basicmotions("train")
    test = datasets.basicmotions("test")
    odd = quantize(train.train(bm, hidden=(6, 10), epochs=60, hop_len=50), bm.windows)  # rows % 4 != 0
    small_shift = _retrained_model(default_model)
    hidden = small_shift.layers[0]
    hidden.shift = np.where(np.arange(hidden.out_len) % 2 == 0, hidden.shift - 8, hidden.shift).astype(np.int32)
    small_shift.model_id = 0xBADC0DE
    for m in (odd, small_shift):
        device.upload(fxm.pack(m))
        ref_class, ref_prob = Pipeline(m).run(test.windows[:6])
        for i in range(6):
            r = device.infer(test.windows[i])
            assert r.class_index == ref_class[i] and np.array_equal(r.prob_q15, ref_prob[i]), (m.model_id, i)
    device.upload(fxm.pack(default_model))


def test_fault_is_reported_on_the_console_and_the_firmware_resets():
    """The fault test image executes an undefined instruction after start-up: the HardFault handler
    must name the faulting pc and the fault status, and the reset must bring the image back."""
    build = REPO / "firmware" / "build" / "netduinoplus2"
    subprocess.run(["make", "-s", "-C", str(REPO / "firmware"), "BOARD=netduinoplus2", "fault-test"], check=True)
    trigger, _ = elf_symbols(build / "fxclass_fault.elf")["fx_fault_test_trigger"]
    fault_lines = re.compile(rb"\0FAULT pc=([0-9a-f]{8}) lr=[0-9a-f]{8} cfsr=([0-9a-f]{8}) hfsr=([0-9a-f]{8})\r\n")
    with Emulator(elf=build / "fxclass_fault.elf") as emu:
        port = serial.serial_for_url(emu.url, timeout=0.2)
        # Wait for two whole reports, not two "FAULT"s: on a busy machine the second line can
        # still be arriving when its first bytes are read. The deadline only ends a dead image.
        text, deadline = b"", time.monotonic() + 60
        while len(fault_lines.findall(text)) < 2 and time.monotonic() < deadline:
            text += port.read(256)
        port.close()
    faults = fault_lines.findall(text)
    assert len(faults) >= 2, text
    pc, cfsr, hfsr = (int(v, 16) for v in faults[0])
    assert pc == trigger
    assert cfsr & (1 << 16), "UsageFault UNDEFINSTR"
    assert hfsr & (1 << 30), "escalated to HardFault (FORCED)"
    assert text.count(b"fault test: undefined instruction next") >= 2, "the image came back after the reset"


@pytest.mark.parametrize("signal_name, report", [("SIGSEGV", "FAULT signal 11"), ("SIGPROF", None)])
def test_native_fault_and_watchdog_reset_on_the_same_connection(native_binary, signal_name, report):
    """hal/host reports a fault signal on the console and resets (re-executes, keeping the socket);
    SIGPROF is its watchdog expiring, which resets without a report, as the IWDG does."""
    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=5) as dev:
        emu.proc.send_signal(getattr(signal, signal_name))
        texts, deadline = [], time.monotonic() + 10
        while "fxclass 0.1.0 host ready" not in texts and time.monotonic() < deadline:
            dev.link.poll()
            texts += dev.link.reader.texts
            dev.link.reader.texts.clear()
        assert any(t == "fxclass 0.1.0 host ready" for t in texts), texts
        assert (report in texts) if report else not any("FAULT" in t for t in texts)
        assert dev.request_info().board == "host" and emu.proc.poll() is None


@pytest.mark.parametrize("msg_type", [p.INFO, p.STREAM_START, p.STATS, p.UPLOAD_COMMIT, p.RESET])
def test_requests_without_payload_refuse_one(device, msg_type):
    """docs/protocol.md: these take no payload; one that comes with a payload is refused with 0x02."""
    seq = device.send(msg_type, b"\x01\x02")
    with pytest.raises(DeviceError) as err:
        device.wait_reply(seq, p.ACK)
    assert err.value.code == 0x02
    assert device.request_info().model_id  # and nothing else happened: it still answers


def test_stream_replies_carry_at_most_four_results(device, default_model):
    """docs/protocol.md: a STREAM_DATA frame that completes many hops is answered in frames of four."""
    m = default_model
    hop10 = fxm.Model(replace(m.shape, hop_len=10), m.class_names, m.input_offset, m.input_mult,
                      m.input_shift, m.layers, model_id=0x10, feature_set=m.feature_set)
    device.upload(fxm.pack(hop10))
    try:
        device.request(p.STREAM_START, b"", p.ACK)
        device.request(p.STREAM_DATA, np.zeros((m.window_len - 1, m.n_channels), "<i2").tobytes(), p.STREAM_REPLY)
        seq = device.send(p.STREAM_DATA, np.zeros((101, m.n_channels), "<i2").tobytes())  # completes 11 hops
        counts = []
        while True:
            frame = device.wait_reply(seq, p.STREAM_REPLY)
            _, count, last = struct.unpack_from("<IBB", frame.payload)
            counts.append(count)
            if last:
                break
        assert counts == [4, 4, 3]
    finally:
        device.reset()


def test_a_host_that_stops_reading_does_not_trip_the_native_watchdog(native_binary):
    """Send INFO requests without reading a reply until everything backs up, and keep it so for three
    times the 2 s watchdog period: the firmware waits for its console, it neither resets nor loses a
    request, and answers them all once the host reads again."""
    import select
    import socket

    with Emulator(elf=native_binary, native=True) as emu, emu.open_device(timeout=10) as dev:
        uptime = dev.stats()["uptime_ms"]
        # Non-blocking, as pyserial keeps it. A smaller receive buffer backs the replies up sooner;
        # not below a few of the loopback's 64 KiB segments, or TCP itself stalls for seconds.
        sock = dev.link._port._socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
        frame = p.encode(p.INFO, 7)
        pending, sent_bytes, received = bytearray(), 0, bytearray()

        def push() -> None:
            nonlocal sent_bytes
            try:
                n = sock.send(pending)
            except BlockingIOError:
                return
            del pending[:n]
            sent_bytes += n

        # Phase 1: send 60,000 requests (5.4 MB of replies, far more than the socket buffers hold)
        # and read nothing for 6.5 s, three times the watchdog's period, or for as long as a busy
        # host takes to send them all (at most a minute).
        requests_wanted, start = 60_000, time.monotonic()
        while time.monotonic() - start < 6.5 or (sent_bytes < requests_wanted * len(frame)
                                                 and time.monotonic() - start < 60):
            if len(pending) < len(frame) and sent_bytes + len(pending) < requests_wanted * len(frame):
                pending += frame
            before = sent_bytes
            if pending:
                push()
            if sent_bytes == before:
                time.sleep(0.01)
        give_up = time.monotonic() + 60
        while (pending or received.count(0) < sent_bytes // len(frame)) and time.monotonic() < give_up:
            if pending:  # phase 2: finish the frame in flight, and read everything back
                push()
            if select.select([sock], [], [], 0.05)[0]:
                received += sock.recv(1 << 16)
        requests = sent_bytes // len(frame)
        for marker in (b"FAULT", b"ready"):
            at = received.find(marker)
            assert at < 0, (f"the firmware reset ({marker.decode()} after {received.count(0, 0, at)} replies; "
                            f"{requests} requests sent): {bytes(received[max(0, at - 80):at + 80])!r}; "
                            f"its log: {emu.output(600)!r}")
        assert received.count(0) == requests == requests_wanted, (received.count(0), requests)
        assert dev.request_info() and dev.stats()["uptime_ms"] > uptime + 6000
