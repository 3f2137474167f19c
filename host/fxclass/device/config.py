"""The device configuration (`fxclass config`): key names and values as people write them, and the requests."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import DataError
from ..model.decide import DecideSettings
from . import protocol as p
from .link import Device

BOOT_MODE, LED, CLASS_PIN = 0x0001, 0x0002, 0x0100
# The decisions (K hops, M votes, dwell: fx_decide.h); 0 keeps the model's own settings.
DECISION_KEYS = {"decision_hops": (0x0010, 16), "decision_votes": (0x0011, 255), "decision_dwell": (0x0012, 255)}
CLASS_PINS = 8  # classes 0 .. 7 may drive a pin (FX_CONFIG_CLASS_PINS)
BOOT_MODES = {"host": 0, "live": 1}
LED_MODES = {"off": 0, "heartbeat": 1, "class": 2}
PIN_FIRST, PIN_LAST = 2, 12  # Arduino D2 .. D12: D0/D1 are the console, D13 LD2, D14/D15 the sensor bus


@dataclass
class Setting:
    name: str
    value: str


def key_name(key: int) -> str:
    if key == BOOT_MODE:
        return "boot_mode"
    if key == LED:
        return "led"
    if CLASS_PIN <= key < CLASS_PIN + CLASS_PINS:
        return f"pin.{key - CLASS_PIN}"
    return next((name for name, (k, _) in DECISION_KEYS.items() if k == key), f"key 0x{key:04x}")


def value_text(key: int, value: int) -> str:
    names = {BOOT_MODE: BOOT_MODES, LED: LED_MODES}.get(key)
    if names is not None:
        return next((name for name, v in names.items() if v == value), str(value))
    if CLASS_PIN <= key < CLASS_PIN + CLASS_PINS:
        return f"D{value}" if value else "none"
    if any(k == key for k, _ in DECISION_KEYS.values()):
        return str(value) if value else "model"
    return str(value)


def _choice(text: str, names: dict[str, int], what: str) -> int:
    try:
        return names[text.lower()]
    except KeyError:
        raise DataError(f"{what} takes {' or '.join(names)}, not {text!r}") from None


def parse_assignment(text: str, class_names: list[str]) -> tuple[int, int]:
    """'KEY=VALUE' -> (key, value): boot_mode=host|live, led=off|heartbeat|class,
    pin.CLASS=D2..D12|none, where CLASS is the class's index or name in the model on the board,
    decision_hops|decision_votes|decision_dwell=N|model."""
    name, sep, value = text.partition("=")
    name, value = name.strip().lower(), value.strip()
    if not sep or not name or not value:
        raise DataError(f"{text!r}: write KEY=VALUE, such as boot_mode=live, led=class or pin.0=D7")
    if name == "boot_mode":
        return BOOT_MODE, _choice(value, BOOT_MODES, "boot_mode")
    if name == "led":
        return LED, _choice(value, LED_MODES, "led")
    if name in DECISION_KEYS:
        key, top = DECISION_KEYS[name]
        number = 0 if value.lower() == "model" else int(value) if value.isdigit() else -1
        if not 0 <= number <= top:
            raise DataError(f"{name}={value}: give 1 .. {top}, or model (the model's own setting)")
        return key, number
    if name.startswith("pin."):
        cls = name[4:]
        lower = [c.lower() for c in class_names]
        index = int(cls) if cls.isdigit() else lower.index(cls) if cls in lower else None
        if index is None or index >= CLASS_PINS:
            raise DataError(f"{name}: name a class by its index (0 .. {CLASS_PINS - 1}) or by one of the model's "
                            f"names ({', '.join(class_names[:CLASS_PINS]) or 'none'})")
        if value.lower() in ("none", "0", "off"):
            return CLASS_PIN + index, 0
        digits = value[1:] if value[:1] in "dD" else value
        if not digits.isdigit() or not PIN_FIRST <= int(digits) <= PIN_LAST:
            raise DataError(f"{name}={value}: give an Arduino pin D{PIN_FIRST} .. D{PIN_LAST} (D0/D1 are the "
                            "console, D13 the LED, D14/D15 the sensor bus), or none")
        return CLASS_PIN + index, int(digits)
    raise DataError(f"unknown key {name!r}: the keys are boot_mode, led, pin.CLASS, {', '.join(DECISION_KEYS)}")


def settings(reply: p.ConfigReply) -> list[Setting]:
    return [Setting(key_name(k), value_text(k, v)) for k, v in reply.values.items()]


def show(dev: Device) -> p.ConfigReply:
    return dev.config()


def set_values(dev: Device, assignments: list[str]) -> p.ConfigReply:
    """Parse every KEY=VALUE first, then set them in one request (all or none)."""
    if not assignments:
        raise DataError("nothing to set: give KEY=VALUE, such as boot_mode=live")
    values = dict(parse_assignment(a, dev.info.class_names if dev.info else []) for a in assignments)
    return dev.set_config(values)


def reset(dev: Device) -> p.ConfigReply:
    return dev.reset_config()


def decide_settings(reply: p.ConfigReply) -> DecideSettings:
    """The decision settings a configuration replaces of a model's (0: the model's own)."""
    hops, votes, dwell = (reply.values.get(key, 0) for key, _ in DECISION_KEYS.values())
    return DecideSettings(hops, votes, dwell)
