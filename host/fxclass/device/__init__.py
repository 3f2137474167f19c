"""Talking to a board: protocol, link, ports, flashing, runs, the board's own sensor, link figures."""
