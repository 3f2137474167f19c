"""Typed errors of the fxclass library; the CLI turns each into a message and an exit code."""


class FxError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 1


class ModelFormatError(FxError):
    """A .fxm blob or a float model file is malformed."""

    exit_code = 3


class DataError(FxError):
    """A dataset, CSV recording or window has the wrong shape or content."""

    exit_code = 4


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
