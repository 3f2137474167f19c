"""Robot Framework keywords that speak the fxclass wire protocol to firmware at a socket URL.

Shared by both back ends: QemuFirmware.py boots QEMU here, keywords_renode.resource boots
Renode; either way the console UART ends up on a local TCP socket that these keywords open.
"""
from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from robot.api import logger
from robot.api.deco import keyword, library

from fxclass.data import datasets
from fxclass.data.recording import read_recording
from fxclass.device import config as cfg, protocol as p
from fxclass.device.link import Device
from fxclass.device.sensor import IMU_CHANNEL_NAMES
from fxclass.emu.emulator import free_port
from fxclass.emu.imu import write_resd
from fxclass.emu.process import serving_clock
from fxclass.errors import DeviceError
from fxclass.firmware.build import elf_symbols
from fxclass.model import fxm
from fxclass.model.reference import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from sensor_oracle import expected_live, find_block, model_samples  # noqa: E402  (test code: tests/, not the package)

# Renode's LSM6DSO samples at its batching rate in whole hertz: 12 for the part's 12.5 Hz.
RENODE_SENSOR_HZ = 12


def round_trip_ms(dev: Device, window: np.ndarray, count: int = 20) -> dict[str, list[float]]:
    """Milliseconds on the host's clock from writing each request to having its reply: count
    INFO requests (12 bytes on the wire) and count INFER requests with window (1,212 bytes for a
    100 x 6 window), one at a time."""
    requests = {"INFO": dev.request_info, "INFER": lambda: dev.infer(window)}
    figures = {}
    for kind, request in requests.items():
        times = []
        for _ in range(count):
            start = time.perf_counter()
            request()
            times.append((time.perf_counter() - start) * 1000)
        figures[kind] = times
    return figures


@library(scope="SUITE")
class FxclassDevice:
    def __init__(self):
        self.dev: Device | None = None
        self.model: fxm.Model | None = None
        self.setup: p.ModeReply | None = None
        self.fed: np.ndarray | None = None  # the sensor counts the recording makes the part deliver
        self.fed_rate_hz = RENODE_SENSOR_HZ  # and the rate they were written for
        self.raw: list[p.SampleBlock] = []
        self.live: list[p.LiveResult] = []
        self.events: list[p.Event] = []

    @keyword("Connect To Firmware")
    def connect(self, url: str, model: str = "models/default.fxm"):
        # Through renode/BlockSocketTerminal.cs an INFER (1,212 bytes) is answered in 5-20 ms of
        # host time and a 5,000-byte burst in about 20 ms. Renode's own terminal, one byte at a
        # time, took 0.2-0.45 s for the INFER and 2.5 s for the burst on a quiet machine, and 17 s
        # for the burst at a load average of 8, with virtual time standing still meanwhile. The
        # time-outs count Renode's own running time (fxclass.emu.process): on a busy machine they
        # stretch by the share of the CPU Renode wanted and did not get, so they bound a lost
        # reply, not the emulator's pace; a Renode that exits fails the wait at once.
        self.dev = Device.open(url, timeout=10, boot_timeout=30, clock=serving_clock(url))
        self.model = fxm.load(model)

    @keyword("Disconnect From Firmware")
    def disconnect(self):
        if self.dev is not None:
            self.dev.close()
            self.dev = None

    @keyword("Firmware Should Report")
    def should_report(self, board: str, protocol_version: int = p.PROTOCOL_VERSION):
        info = self.dev.request_info()
        if info.board != board or info.protocol_version != int(protocol_version):
            raise AssertionError(f"INFO says board {info.board!r}, protocol {info.protocol_version}")
        if info.model_id != self.model.model_id or info.class_names != self.model.class_names:
            raise AssertionError(f"INFO says model 0x{info.model_id:08x} {info.class_names}")
        return info.firmware_version

    @keyword("Running Model Should Be")
    def running_model(self, model_id: str):
        info = self.dev.request_info()
        if info.model_id != int(model_id, 0):
            raise AssertionError(f"the firmware runs model 0x{info.model_id:08x}, not {model_id}")

    @keyword("BasicMotions Windows Should Classify As The Reference Does")
    def classify_like_reference(self, count: int = 8):
        test = datasets.basicmotions("test")
        windows = test.windows[:int(count)]
        ref_class, ref_prob = Pipeline(self.model).run(windows)
        for i, window in enumerate(windows):
            r = self.dev.infer(window)
            if r.class_index != ref_class[i] or not np.array_equal(r.prob_q15, ref_prob[i]):
                raise AssertionError(f"window {i}: firmware {r.class_index} {r.prob_q15.tolist()}, "
                                     f"reference {ref_class[i]} {ref_prob[i].tolist()}")

    @keyword("Streaming A Recording Should Answer Every Hop")
    def stream_every_hop(self, n_windows: int = 6):
        m = self.model
        recording = np.concatenate(datasets.basicmotions("test").windows[:int(n_windows)])
        results = list(self.dev.stream(recording))
        expected = m.shape.hops(len(recording))
        if [r.index for r in results] != list(range(expected)):
            raise AssertionError(f"hops answered: {[r.index for r in results]}, expected 0..{expected - 1}")
        _, ref_prob = Pipeline(m).run(m.shape.windows(recording))
        if not np.array_equal(np.stack([r.prob_q15 for r in results]), ref_prob):
            raise AssertionError("streamed results differ from the reference")

    @keyword("Measure Round Trips")
    def measure_round_trips(self, count: int = 20, infer_median_below_ms: float | None = None) -> dict:
        """Host milliseconds from writing a request to having its reply, INFO and INFER (a whole
        window), count of each: logs the median and the 10th and 90th percentiles, and fails when
        the INFER median is not below infer_median_below_ms."""
        window = datasets.basicmotions("test").windows[0]
        figures = round_trip_ms(self.dev, window, int(count))
        for kind, times in figures.items():
            p10, median, p90 = np.percentile(times, [10, 50, 90])
            print(f"*INFO* {kind} round trip: median {median:.1f} ms, 10-90 % {p10:.1f}-{p90:.1f} ms "
                  f"({len(times)} requests)")
        if infer_median_below_ms is not None and np.median(figures["INFER"]) >= float(infer_median_below_ms):
            raise AssertionError(f"INFER round trip median {np.median(figures['INFER']):.1f} ms, "
                                 f"not below {infer_median_below_ms} ms")
        return figures

    @keyword("Send Garbage To The UART")
    def send_garbage(self, n_bytes: int = 2000, seed: int = 1):
        rng = np.random.default_rng(int(seed))
        self.dev.link.write(bytes(rng.integers(0, 256, size=int(n_bytes), dtype=np.uint8)) + b"\0")
        time.sleep(0.3)

    @keyword("Send A Burst At Once")
    def send_burst(self, n_bytes: int = 5000, seed: int = 2):
        """n_bytes of random bytes in one write, then a frame delimiter: in Renode 1.15 they all
        reach the USART in the same instant."""
        rng = np.random.default_rng(int(seed))
        self.dev.link.write(bytes(rng.integers(0, 256, size=int(n_bytes), dtype=np.uint8)) + b"\0")

    @keyword("INFER Frames Sent At Once Should All Be Answered")
    def infer_burst(self, count: int = 4):
        """count INFER requests (1,212 bytes each on the wire) written at once, then their replies."""
        windows = datasets.basicmotions("test").windows[:int(count)]
        ref_class, ref_prob = Pipeline(self.model).run(windows)
        written = self.dev.link.bytes_written
        started = time.monotonic()
        seqs = self.dev.send_at_once([(p.INFER, w.astype("<i2").tobytes()) for w in windows])
        for i, seq in enumerate(seqs):
            r = p.Result.parse_many(self.dev.wait_reply(seq, p.RESULT, timeout=20).payload, 1)[0]
            print(f"*INFO* reply {i} after {time.monotonic() - started:.2f} s")  # in the Robot log
            if r.class_index != ref_class[i] or not np.array_equal(r.prob_q15, ref_prob[i]):
                raise AssertionError(f"window {i} of the burst: firmware {r.class_index} {r.prob_q15.tolist()}, "
                                     f"reference {ref_class[i]} {ref_prob[i].tolist()}")
        return self.dev.link.bytes_written - written

    @keyword("No Received Byte Should Have Been Lost")
    def no_overruns(self):
        s = self.dev.stats()
        if s["rx_overruns"] != 0:
            raise AssertionError(f"the firmware lost received bytes: {s}")

    @keyword("Free TCP Port")
    def free_tcp_port(self) -> int:
        return free_port()

    @keyword("Symbol Address")
    def symbol_address(self, elf: str, name: str) -> str:
        """The address of a function or object in an image, as 0x... (without the Thumb bit)."""
        return f"0x{elf_symbols(elf)[name][0]:08x}"

    @keyword("Error Counters Should Have Grown")
    def counters_grew(self):
        s = self.dev.stats()
        if s["framing_errors"] + s["crc_errors"] + s["oversize_frames"] == 0:
            raise AssertionError(f"no framing, CRC or oversize error counted: {s}")

    @keyword("Uploading A Corrupt Model Should Be Refused")
    def upload_corrupt(self):
        blob = bytearray(fxm.pack(self.model))
        blob[60] ^= 0x01
        try:
            self.dev.upload(bytes(blob))
        except DeviceError as exc:
            return str(exc)
        raise AssertionError("the firmware accepted a corrupt model")

    @keyword("Announcement Should Have Been Seen")
    def announced(self):
        if not any(t.startswith("fxclass ") and t.endswith("ready") for t in self.dev.announcements):
            raise AssertionError(f"no boot announcement, only {self.dev.announcements}")

    @keyword("Upload Model")
    def upload(self, path: str):
        with open(path, "rb") as f:
            blob = f.read()
        self.model = fxm.unpack(blob)
        self.dev.upload(blob)
        return f"0x{self.dev.info.model_id:08x}"

    @keyword("Upload The Bench Model Of")
    def upload_bench_model(self, feature_set: str) -> str:
        """Uploads the 100 x 6 bench model of a feature set with a FEATURES section (spectral, rocket:
        tests/fuzz_seeds/model/v3_<set>_100x6.fxm, which host/tools/<set>_bench.py writes), which the
        following keywords compare with the reference. Logs the variant its feature stage runs: rocket's
        Cortex-M4 variant reads no GE flag and runs on every core; spectral's selects on them, and
        falls back to its portable C where a probe finds them wrong (Renode 1.15.3)."""
        path = Path(__file__).resolve().parents[1] / "tests" / "fuzz_seeds" / "model" / f"v3_{feature_set}_100x6.fxm"
        model_id = self.upload(str(path))
        if self.model.feature_set != {"spectral": 3, "rocket": 4}[feature_set]:
            raise AssertionError(f"{path.name} holds feature set {self.model.feature_set}, not {feature_set}")
        logger.info(f"{feature_set} model {model_id}: its feature stage runs the Cortex-M4 variant"
                    + (" on every core" if feature_set == "rocket" else " where SSUB16 sets the GE flags, the "
                       "portable C where not (Renode 1.15.3)"))
        return model_id

    def _variant(self, model_id: str) -> fxm.Model:
        """A different valid model: the running one with the first class's logit bias raised."""
        m = self.model
        layers = [fxm.Layer(l.weights, l.bias.copy(), l.mult, l.shift, l.relu, l.logits) for l in m.layers]
        layers[-1].bias[0] += 5000
        return fxm.Model(m.shape, m.class_names, m.input_offset, m.input_mult, m.input_shift, layers,
                         model_id=int(model_id, 0), feature_set=m.feature_set)

    @keyword("Upload Model With Raised Bias")
    def upload_variant(self, model_id: str = "0xC0FFEE", keep: bool = False):
        new = self._variant(model_id)
        self.dev.upload(fxm.pack(new), keep=bool(keep))
        self.model = new

    # -- what the board keeps (renode/standalone.robot) ----------------------------------------

    @keyword("Flash Controller Should Be Present")
    def flash_present(self, present: bool = True):
        info = self.dev.request_info()
        if info.flash_controller != bool(present):
            raise AssertionError(f"INFO says the flash controller is {'present' if info.flash_controller else 'absent'}")

    @keyword("Reset The Board")
    def reset_board(self):
        """RESET over the protocol; back when the firmware answers INFO again."""
        self.dev.reset(boot_timeout=30)

    @keyword("Running Model Should Be Kept In")
    def kept_in(self, source: str, model_id: str | None = None):
        info = self.dev.request_info()
        if info.model_source != source or (model_id is not None and info.model_id != int(model_id, 0)):
            raise AssertionError(f"model 0x{info.model_id:08x} from {info.model_source}, not {model_id} from {source}")

    @keyword("Keep Models Alternately With A Reset At Each Point")
    def reset_points(self, elf: str, points: int = 20) -> str:
        """Keeps the raised-bias variant and the default model in turn, each upload cut by a reset
        at one of points places: during the upload (at a chunk's arrival), at the erase (the first
        store of the flash step, the sector erase's STRT) and across the program (the k-th word's
        store, the last ones being the header and the commit word), and right after the commit.
        The reset is the chip's own: a hook at that instruction sends the core to fx_hal_reset
        (SYSRESETREQ), so the flash work stops exactly there. After each, the board must run the
        model kept before or the new one, whole (INFER as the reference), from flash; returns how
        many booted which."""
        from robot.libraries.BuiltIn import BuiltIn

        run = BuiltIn().run_keyword
        symbols = elf_symbols(elf)
        reset_at = symbols["fx_hal_reset"][0]
        models = {"previous": self.model, "new": self._variant("0xBEEF")}
        blob_words = (len(fxm.pack(models["new"])) + 3) // 4
        program_steps = 1 + blob_words + 4 + 1  # erase, payload words, header, commit
        plan = ([("fx_upload_chunk", 1), ("fx_upload_chunk", 2), ("store_and_wait", 1)] +
                [("store_and_wait", int(k)) for k in np.linspace(2, blob_words + 1, int(points) - 9)] +
                [("store_and_wait", program_steps - k) for k in (4, 3, 2, 1, 0)])
        plan.append(("fx_store_slot_valid", 3))  # the check after the commit word: the write is whole
        outcomes = []
        for round_, (function, k) in enumerate(plan):
            address = symbols[function][0]
            run("Execute Command", f"sysbus.cpu RemoveHooksAt 0x{address:x}")
            counter = f"fx_calls_{round_}"
            run("Execute Command", f'sysbus.cpu AddHook 0x{address:x} "{counter} = globals().get(\'{counter}\', 0) + 1; '
                                   f'{counter} == {k} and setattr(self, \'PC\', type(self.PC).Create(0x{reset_at:x}, 32))"')
            self._upload_until_reset(fxm.pack(models["new"]))
            self.dev.connect(boot_timeout=30)
            run("Execute Command", f"sysbus.cpu RemoveHooksAt 0x{address:x}")
            info = self.dev.request_info()
            which = next((name for name, m in models.items() if m.model_id == info.model_id), None)
            if which is None or not info.model_source.startswith("flash"):
                raise AssertionError(f"reset at {function} #{k}: model 0x{info.model_id:08x} from {info.model_source}")
            self.model = models[which]
            self.classify_like_reference(count=1)
            outcomes.append(f"{function}#{k}:{which}")
            if which == "new":  # the next upload replaces it with the other one
                models = {"previous": models["new"], "new": models["previous"]}
        return " ".join(outcomes)

    def _upload_until_reset(self, blob: bytes) -> None:
        """A kept upload, request by request, until the board announces itself again after a reset."""
        import struct
        import zlib

        requests = [(p.UPLOAD_BEGIN, struct.pack("<IIB", len(blob), zlib.crc32(blob), p.UPLOAD_KEEP))]
        requests += [(p.UPLOAD_CHUNK, struct.pack("<I", at) + blob[at:at + 1024]) for at in range(0, len(blob), 1024)]
        requests.append((p.UPLOAD_COMMIT, b""))
        reader = self.dev.link.reader
        for msg_type, payload in requests:
            seq = self.dev.send(msg_type, payload)
            waiting = self.dev.clock.timer()  # Renode's own time: a starved Renode is late, not dead
            while True:
                self.dev.link.poll()
                if any(t.endswith(" ready") for t in reader.texts):
                    reader.texts.clear()
                    return
                reply = next((f for f in reader.frames if f.seq == seq), None)
                if reply is not None:
                    if reply.type != p.ACK:
                        raise AssertionError(f"upload refused: {p.error_text(reply.payload[0])}")
                    break
                if waiting.elapsed() > 30:
                    raise AssertionError("no reply and no reset within 30 s of Renode's running time")
            reader.frames.clear()
        raise AssertionError("the upload completed: the reset never came")

    # -- working alone: LIVE from power-on, the LED -------------------------------------------

    @keyword("Configure Board")
    def configure(self, *assignments: str):
        reply = cfg.set_values(self.dev, list(assignments))
        return reply.source

    @keyword("Wait For LIVE At Power-On")
    def wait_live_at_power_on(self, idle_timeout: float = 60):
        """The board's MODE answer at power-on (seq 0), with the sensor's set-up: LIVE has begun."""
        self.live, self.setup = [], None
        self._collect_alone(lambda: self.setup is not None, float(idle_timeout))
        if self.setup.mode != p.MODE_LIVE:
            raise AssertionError(f"the board started mode {self.setup.mode} at power-on, not LIVE")

    @keyword("Collect LIVE Results Of The Board Alone")
    def collect_alone(self, hops: int, idle_timeout: float = 60):
        """LIVE results as the board sends them with nothing asked, until hops of them."""
        self._collect_alone(lambda: len(self.live) >= int(hops), float(idle_timeout))
        return [r.result.class_index for r in self.live]

    def _collect_alone(self, done, idle_timeout: float) -> None:
        reader = self.dev.link.reader
        quiet = self.dev.clock.timer()  # in Renode's own time, as the device's replies are
        while not done():
            self.dev.link.poll()
            reader.texts.clear()
            for frame in reader.frames:
                quiet.restart()
                if frame.type == p.MODE_REPLY and frame.seq == 0:
                    self.setup = p.ModeReply.parse(frame.payload)
                elif frame.type == p.LIVE_RESULT:
                    self.live.append(p.LiveResult.parse(frame.payload))
                elif frame.type == p.ERROR:
                    raise AssertionError(f"the board refused LIVE at power-on: {p.error_text(frame.payload[0])}")
            reader.frames.clear()
            if quiet.elapsed() > idle_timeout:
                raise AssertionError(f"{len(self.live)} LIVE results, then nothing for {idle_timeout} s of Renode's "
                                     "running time")

    @keyword("LED Should Have Shown The LIVE Classes In Turn")
    def led_shows_classes(self, transitions: str, min_classes: int = 3):
        """Decodes the LED's record (LedRecorder.cs: "t_ms:state ...") into the decisions its blinks
        show (class c: c + 1 short blinks then a pause; a 1 s pulse unknown; a 0.5 s pulse the
        heartbeat, no decision yet) and compares their sequence, repeats merged, with that of the
        LIVE results' decisions: the same, or all but the last, which the LED shows from the end of
        the cycle under way."""
        leds = [tuple(float(x) for x in item.split(":")) for item in transitions.replace('"', " ").split()
                if ":" in item]
        pulses, start = [], None
        for t, state in leds:
            if state and start is None:
                start = t
            elif not state and start is not None:
                pulses.append((start, t))
                start = None
        shown, group, last_end = [], 0, None
        for on, off in pulses:
            if off - on >= 400:  # the heartbeat's 500 ms (no decision), or unknown's 1000 ms
                if group:
                    shown.append(group - 1)
                group, last_end = 0, off
                shown.append(-2 if off - on >= 800 else -1)
                continue
            if last_end is not None and on - last_end >= 700 and group:
                shown.append(group - 1)
                group = 0
            group += 1
            last_end = off
        # The last group may be cut by the end of the record: left out. The heartbeat is no decision.
        merged = [c for c in shown if c != -1]
        merged = [c for i, c in enumerate(merged) if i == 0 or merged[i - 1] != c]
        from fxclass.model import decide

        decided = [{decide.UNKNOWN: -2}.get(r.result.decided, r.result.decided) for r in self.live
                   if r.result.decided != decide.NONE]
        decided = [c for i, c in enumerate(decided) if i == 0 or decided[i - 1] != c]
        if merged not in (decided, decided[:-1]) or len(set(merged)) < int(min_classes):
            raise AssertionError(f"the LED showed {merged} (-2 unknown), LIVE decided {decided}")
        return merged
    @keyword("Upload A BasicMotions Model Trained Without")
    def upload_without(self, left_out: str, hops: int = 3, votes: int = 2, dwell: int = 2):
        """A model of BasicMotions' other classes (stats16, 24 hidden units), quantized with thresholds and
        radii calibrated at the 99th percentile and decisions over hops, votes and dwell, uploaded."""
        from fxclass.model import train
        from fxclass.model.openset import calibrate
        from fxclass.model.quantize import quantize_best

        known = datasets.leave_out(datasets.basicmotions("train"), [left_out])
        fm = train.train(known, (24,), 400, feature_set=2, hop_len=50)
        model, _, _ = quantize_best(fm, known.windows)
        model.decision = calibrate(model, known.windows, known.labels, 99.0, int(hops), int(votes), int(dwell))
        self.dev.upload(fxm.pack(model))
        self.model = model
        return f"0x{self.dev.info.model_id:08x}"

    @keyword("LIVE Decisions Should Match The Reference For Every Hop")
    def live_decisions_match_reference(self):
        """Every hop's decision, flags and every EVENT equal to the reference on the samples RECORD
        returned; returns the EVENTs as (hop, decision name)."""
        from fxclass.model import decide

        ref = Pipeline(self.model).stream(model_samples(self._raw(), self.setup, self.model))
        for r in self.live:
            h = r.result.index
            got = (r.result.class_index, r.result.decided, r.result.outside, r.result.changed)
            want = (ref["class"][h], ref["decided"][h], bool(ref["outside"][h]), bool(ref["changed"][h]))
            if got != want:
                raise AssertionError(f"hop {h}: firmware class, decision, outside, changed {got}, reference {want}")
        last = self.live[-1].result.index
        want = [e for e in decide.events(ref["decided"], ref["changed"], ref["smoothed"]) if e[0] <= last]
        got = [(e.hop, e.decided, e.previous, e.prob_q15) for e in self.events]
        if got != want:
            raise AssertionError(f"EVENTs {got}, reference {want}")
        return [(e.hop, decide.label(e.decided, self.model.class_names)) for e in self.events]

    @keyword("Decisions Should Follow The Gestures")
    def decisions_follow(self, gestures: str, windows_per_gesture: int, unseen: str, known: str | None = None):
        """Over the recording of gestures (windows_per_gesture BasicMotions windows each, fed to the sensor
        after some samples of its own): the decision is unknown at some point; at the last hop whose window
        lies inside each gesture named in known (default: all) the decision is the gesture's class, or
        unknown for the unseen one; and there are no more decisions than gestures, so the decision changed
        at most once per gesture boundary and never flickered. Returns the EVENTs as (hop, decision name)."""
        from fxclass.model import decide

        m = self.model
        names = [g.strip() for g in gestures.split(",")]
        start = find_block(self._raw(), self.fed[:120])  # where the recording's first 10 s begin
        if start is None:
            raise AssertionError(f"the recording's samples are not among those the sensor delivered: "
                                 f"{self._where_fed_went(self._raw(), self.fed[:120])}")
        # In model samples: the firmware takes the part's samples at the rate it set (12.5 Hz), which
        # Renode's part delivers at 12 Hz, so a gesture spans 4 % fewer model samples there.
        to_model = m.sample_rate_hz * 1000 / self.setup.sensor_rate_millihertz
        offset = start * to_model
        span = int(windows_per_gesture) * 100 / datasets.BASICMOTIONS_RATE_HZ * self.fed_rate_hz * to_model
        decided = {r.result.index: r.result.decided for r in self.live}
        first_inside = int(np.ceil(offset / m.hop_len))
        last_inside = int((offset + len(names) * span - m.window_len) // m.hop_len)
        if last_inside not in decided:
            raise AssertionError(f"LIVE stopped at hop {max(decided)}, before the recording's end (hop {last_inside})")
        checked = names if known is None else [g.strip() for g in known.split(",") if g.strip()]
        if decide.UNKNOWN not in [e.decided for e in self.events]:
            raise AssertionError(f"no decision of unknown: EVENTs {[(e.hop, e.decided) for e in self.events]}")
        for k, name in enumerate(names):
            if name not in checked:
                continue
            last = int((offset + (k + 1) * span - m.window_len) // m.hop_len)
            want = decide.UNKNOWN if name == unseen else m.class_names.index(name)
            if decided[last] != want:
                raise AssertionError(f"at the end of {name} (hop {last}) the decision is "
                                     f"{decide.label(decided[last], m.class_names)}; EVENTs "
                                     f"{[(e.hop, decide.label(e.decided, m.class_names)) for e in self.events]}")
        during = [e for e in self.events if first_inside <= e.hop <= last_inside]
        if len(during) > len(names):
            raise AssertionError(f"{len(during)} decisions during {len(names)} gestures: "
                                 f"{[(e.hop, decide.label(e.decided, m.class_names)) for e in during]}")
        return [(e.hop, decide.label(e.decided, m.class_names)) for e in self.events]

    # -- the board's own sensor (renode/sensor.robot) ------------------------------------------

    @keyword("Write IMU Recording")
    def write_imu_recording(self, folder: str, renode_tools: str | None = None, windows: int = 4,
                            rate_hz: float = RENODE_SENSOR_HZ, accel_full_scale_g: int = 16,
                            gyro_full_scale_dps: int = 2000, gestures: str = "") -> str:
        """BasicMotions test windows (10 Hz) as the LSM6DSO would sample them at rate_hz (Renode's
        part samples at 12 Hz where a real one does 12.5), in whole counts of the given full scales,
        written as a CSV recording and, with Renode's tools folder, as RESD, in a new folder under
        folder; returns the path of the RESD, or of the CSV without tools. The first windows of the test split, or with gestures
        (class names, comma-separated) that many windows of each class in turn."""
        test = datasets.basicmotions("test")
        picked = test.windows[:int(windows)]
        if gestures:
            picked = [w for g in gestures.split(",")
                      for w in test.windows[test.labels == test.class_names.index(g.strip())][:int(windows)]]
        motion = np.concatenate(picked).astype(np.float64) / datasets.BASICMOTIONS_COUNTS_PER_UNIT
        t_in = np.arange(len(motion)) / datasets.BASICMOTIONS_RATE_HZ
        rate_hz = self.fed_rate_hz = float(rate_hz)
        t_out = np.arange(int(len(motion) * rate_hz / datasets.BASICMOTIONS_RATE_HZ)) / rate_hz
        resampled = np.stack([np.interp(t_out, t_in, motion[:, c]) for c in range(6)], axis=1)
        accel_lsb_per_g = 32768 / int(accel_full_scale_g)  # as Renode's model scales acceleration
        gyro_lsb_per_dps = 1000 / {125: 4.375, 250: 8.75, 500: 17.5, 1000: 35, 2000: 70}[int(gyro_full_scale_dps)]
        counts = np.concatenate([np.round(resampled[:, :3] * accel_lsb_per_g),
                                 np.round(np.degrees(resampled[:, 3:]) * gyro_lsb_per_dps)], axis=1)
        self.fed = np.clip(counts, -32767, 32767).astype(np.int16)
        physical = np.concatenate([self.fed[:, :3] / accel_lsb_per_g, self.fed[:, 3:] / gyro_lsb_per_dps], axis=1)
        # A folder of its own for each recording: suites run side by side (both Nucleos at once, other
        # checkouts' runs) all get the same ${TEMPDIR}, and a recording another run rewrote under this
        # one's name between its writing and Renode's reading was a recording this test never fed.
        folder = Path(tempfile.mkdtemp(prefix="fxclass-imu-", dir=folder))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        csv_path = folder / "imu.csv"
        with csv_path.open("w") as f:
            f.write(f"# sample_rate_hz: {rate_hz:g}\n# units: g, g, g, dps, dps, dps\n")
            f.write(",".join(IMU_CHANNEL_NAMES) + "\n")
            f.writelines(",".join(repr(float(v)) for v in row) + "\n" for row in physical)
        if not renode_tools:
            return str(csv_path)
        resd = folder / "imu.resd"
        write_resd(read_recording(csv_path), resd, Path(renode_tools))
        return str(resd)

    @keyword("Start Sensor Mode")
    def start_sensor_mode(self, *modes: str):
        flags = {"LIVE": p.MODE_LIVE, "RECORD": p.MODE_RECORD}
        self.setup = self.dev.set_mode(sum(flags[m] for m in modes))
        self.raw, self.live, self.events = [], [], []
        return self.setup.sensor_rate_millihertz

    @keyword("Collect Sensor Frames")
    def collect(self, hops: int = 0, samples: int = 0, idle_timeout: float = 30):
        """Until LIVE has answered hops results and RECORD has sent samples samples."""
        for frame in self.dev.sensor_frames(timeout=float(idle_timeout)):
            if isinstance(frame, p.SampleBlock):
                self.raw.append(frame)
            elif isinstance(frame, p.LiveResult):
                self.live.append(frame)
            elif isinstance(frame, p.Event):
                self.events.append(frame)
            elif not frame.answering:
                raise AssertionError(f"the sensor stopped answering: {frame}")
            if len(self.live) >= int(hops) and sum(len(b.samples) for b in self.raw) >= int(samples):
                self.dev.set_mode(p.MODE_HOST)
                return
        raise AssertionError(f"after {len(self.live)} results and {sum(len(b.samples) for b in self.raw)} samples "
                             f"nothing came for {idle_timeout} s")

    def _raw(self) -> np.ndarray:
        firsts = [b.first for b in self.raw]
        sizes = [len(b.samples) for b in self.raw]
        if firsts != [sum(sizes[:k]) for k in range(len(sizes))]:
            raise AssertionError(f"RECORD's sample indexes have gaps or repeats: {firsts[:20]}")
        if self.raw and self.raw[-1].lost:
            raise AssertionError(f"the sensor's FIFO lost {self.raw[-1].lost} samples")
        return np.concatenate([b.samples for b in self.raw])

    @keyword("LIVE Results Should Match The Reference For Every Hop")
    def live_matches_reference(self):
        """Every hop, none missing, equal to the host reference on the samples RECORD returned."""
        indexes = [r.result.index for r in self.live]
        if indexes != list(range(len(indexes))):
            raise AssertionError(f"LIVE hops {indexes}: some are missing or repeated")
        classes, probs = expected_live(self._raw(), self.setup, self.model)
        if len(classes) < len(self.live):
            raise AssertionError(f"{len(self.live)} LIVE results for samples that make {len(classes)} windows")
        for r, c, prob in zip(self.live, classes, probs):
            if r.result.class_index != c or not np.array_equal(r.result.prob_q15, prob):
                raise AssertionError(f"hop {r.result.index}: firmware {r.result.class_index} {r.result.prob_q15.tolist()}, "
                                     f"reference {c} {prob.tolist()}")
        return len(self.live)

    @keyword("RECORD Should Have Returned Exactly The Samples Fed")
    def record_matches_fed(self):
        """The recording's counts, in order, each once, after the part's samples from before it began."""
        raw = self._raw()
        start = find_block(raw, self.fed)
        if start is None:
            raise AssertionError(f"the {len(self.fed)} samples fed are not in the {len(raw)} recorded in one piece: "
                                 f"{self._where_fed_went(raw, self.fed)}")
        return start

    @staticmethod
    def _where_fed_went(raw: np.ndarray, fed: np.ndarray) -> str:
        """What a failed search for fed in raw found instead: the longest run of fed samples delivered in
        order, and where the acceleration and the angular rate each begin, apart (a pairing off by one)."""
        def longest(cols):
            best = (0, None)
            for at in range(len(raw)):
                n = 0
                while n < len(fed) and at + n < len(raw) and np.array_equal(raw[at + n, cols], fed[n, cols]):
                    n += 1
                best = max(best, (n, at), key=lambda b: b[0])
            return best
        (n, at), (n_acc, at_acc), (n_gyro, at_gyro) = longest(slice(0, 6)), longest(slice(0, 3)), longest(slice(3, 6))
        return (f"at most {n} of the {len(fed)} in order (from sample {at} of the {len(raw)} delivered); acceleration "
                f"alone {n_acc} from {at_acc}, angular rate alone {n_gyro} from {at_gyro}; first fed {fed[0].tolist()}, "
                f"first delivered {raw[:2].tolist()}")

    @keyword("Starting LIVE Should Be Refused For Want Of A Sensor")
    def no_sensor(self):
        info = self.dev.request_info()
        if info.sensor is not None:
            raise AssertionError(f"INFO says a {info.sensor} is fitted")
        try:
            self.dev.set_mode(p.MODE_LIVE)
        except DeviceError as exc:
            if exc.code != 0x07:
                raise AssertionError(f"refused with {exc}, not for want of a sensor") from None
            return str(exc)
        raise AssertionError("the firmware started LIVE without a sensor")

    # -- the class pins and the unknown pulse (renode/standalone.robot) -------------------------------

    @keyword("Keep A BasicMotions Model Trained Without")
    def keep_without(self, left_out: str, hops: int = 3, votes: int = 2, dwell: int = 2):
        """Upload A BasicMotions Model Trained Without, kept in flash so that it runs from power-on."""
        self.upload_without(left_out, hops, votes, dwell)
        self.dev.upload(fxm.pack(self.model), keep=True)
        if self.dev.info.model_source not in ("flash slot 0", "flash slot 1"):
            raise AssertionError(f"the model runs from {self.dev.info.model_source}, not from flash")
        return f"0x{self.dev.info.model_id:08x}"

    @staticmethod
    def _transitions(record: str) -> list[tuple[float, int]]:
        """LedRecorder.cs's "t_ms:state ..." as (t_ms, state), repeats of a state dropped."""
        out: list[tuple[float, int]] = []
        for item in record.replace('"', " ").split():
            if ":" in item:
                t, state = item.split(":")
                if not out or out[-1][1] != int(state):
                    out.append((float(t), int(state)))
        return out

    @keyword("Class Pins Should Have Followed The LIVE Decisions")
    def pins_follow_decisions(self, **records: str):
        """records: CLASS=the LedRecorder record of the pin configured for that class. At every instant
        at most one pin is high, and the sequence of pins high (none while no class with a pin is
        decided: before the first decision, unknown, a class without one) is that of the LIVE results'
        decisions, up to the last result collected (a change after it may follow): the pin goes high
        when its class is decided and low when another is, with no cycle's lag as on the LED."""
        from fxclass.model import decide

        names = self.model.class_names
        pin_class = {names.index(name): self._transitions(record) for name, record in records.items()}
        changes = sorted((t, c, state) for c, record in pin_class.items() for t, state in record)
        high: set[int] = set()
        shown = [-1]
        i = 0
        while i < len(changes):
            t = changes[i][0]
            while i < len(changes) and changes[i][0] - t <= 1.0:  # a change of class lowers one, raises the other
                _, c, state = changes[i]
                (high.add if state else high.discard)(c)
                i += 1
            if len(high) > 1:
                raise AssertionError(f"at {t:.1f} ms the pins of {sorted(high)} are all high")
            now = next(iter(high), -1)
            if now != shown[-1]:
                shown.append(now)
        decided = [-1] + [r.result.decided if r.result.decided in pin_class else -1 for r in self.live]
        decided = [c for i, c in enumerate(decided) if i == 0 or decided[i - 1] != c]
        labels = [str(decide.label(c, names)) if c >= 0 else "none" for c in shown]
        if shown[:len(decided)] != decided or len(shown) > len(decided) + 1 or len(set(shown) - {-1}) < 2:
            raise AssertionError(f"the pins showed {labels}, LIVE decided "
                                 f"{[str(decide.label(c, names)) if c >= 0 else 'none' for c in decided]}")
        return labels

    @keyword("Unknown Should Have Been Shown As 1 s Pulses")
    def unknown_pulses(self, record: str):
        """Every long LED pulse (longer than the heartbeat's 500 ms) lasts 1 s and is followed by 1 s
        dark, or by the end of the record (within 2 ms: the pattern runs on the millisecond tick); there
        is at least one. Returns their number."""
        changes = self._transitions(record)
        pulses = [(on, off, changes[k + 2][0] if k + 2 < len(changes) else None)
                  for k, ((on, lit), (off, _)) in enumerate(zip(changes, changes[1:])) if lit]
        long = [(on, off, nxt) for on, off, nxt in pulses if off - on > 600]
        if not long:
            raise AssertionError(f"no pulse longer than the heartbeat's among {len(pulses)}")
        for on, off, nxt in long:
            if abs(off - on - 1000) > 2 or (nxt is not None and nxt - off < 998):
                raise AssertionError(f"a pulse of {off - on:.1f} ms at {on:.1f} ms, then "
                                     f"{'the end' if nxt is None else f'{nxt - off:.1f} ms'} dark: unknown is 1 s, 1 s")
        return len(long)

    @keyword("Forget What The Board Keeps")
    def forget(self):
        """FORGET: the kept models and configuration erased; the built-in model runs, host-driven."""
        info = self.dev.forget()
        if (info.model_source, info.config_source, info.boot_mode) != ("built-in", "built-in", 0):
            raise AssertionError(f"after FORGET the model runs from {info.model_source}, the configuration is "
                                 f"{info.config_source}, boot mode {info.boot_mode}")
        return f"0x{info.model_id:08x}"
