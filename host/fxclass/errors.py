"""Typed errors of the fxclass library; the CLI turns each into a message and an exit code."""
from __future__ import annotations

import errno
from enum import IntEnum
from pathlib import Path


class FxError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 1


class ModelStatus(IntEnum):
    """Why the firmware's blob parser refuses a blob: fx_status (firmware/core/fx_core.h)."""

    MAGIC = 2
    VERSION = 3
    SIZE = 4
    CRC = 5
    LIMIT = 6
    LAYOUT = 7
    SHAPE = 8
    PARAM = 9


class ModelFormatError(FxError):
    """A .fxm blob or a float model file is malformed. For a blob that the firmware would refuse
    too, status is the fx_status its parser returns."""

    exit_code = 3

    def __init__(self, message: str, status: ModelStatus | None = None):
        super().__init__(message)
        self.status = status


class DataError(FxError):
    """A dataset, CSV recording or window has the wrong shape or content, or a file cannot be read or
    written (a missing folder, a full disk, a place such as /proc that takes no files)."""

    exit_code = 4


def file_error(path, exc: OSError, doing: str = "write") -> DataError:
    """The DataError for an OSError on a file the command reads or writes, with what to do about it."""
    missing = "create the folder first" if not Path(path).resolve().parent.is_dir() else "that place takes no new files"
    hints = {errno.ENOSPC: "free some space or write elsewhere", errno.ENOENT: missing, errno.EIO: "write elsewhere",
             errno.EACCES: "choose a place you may write to" if doing == "write" else "check its permissions",
             errno.EROFS: "choose a writable place", errno.EISDIR: "give a file name, not a folder"}
    hint = hints.get(exc.errno, "choose another file" if doing == "write" else "check the path")
    return DataError(f"cannot {doing} {path}: {exc.strerror or exc} ({hint})")


class UsageError(FxError):
    """An option or environment variable has a value the command cannot use."""

    exit_code = 2


class LinkError(FxError):
    """The serial link failed: no port, time-out, disconnect."""

    exit_code = 5


class DeviceError(FxError):
    """The firmware answered with an error reply."""

    exit_code = 6

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class ToolError(FxError):
    """An external tool (compiler, QEMU, flasher) is missing or failed."""

    exit_code = 7


class ModelMismatchError(FxError):
    """The device runs another model than the one the command was given."""

    exit_code = 2


class LeaseError(LinkError):
    """A board of a Jumpstarter farm could not be leased, or its lease was lost mid-run (a LinkError,
    so that the commands keep the results received before it, as they do when a cable comes out)."""

    exit_code = 8
