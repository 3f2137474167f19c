"""Talking to a board: the wire protocol, the serial link and device client, port discovery,
flashing, running windows and recordings, the board's own sensor, and link measurements."""
