"""Emulators that run the firmware with its console on a local socket: QEMU, Renode, the native port."""
