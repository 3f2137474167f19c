"""python -m fxclass and the `fxclass` command: the CLI, entered before its modules load.

A Ctrl-C while they load (numpy, click: a second or more on a busy machine) is an exit like any
other, not a traceback."""
import sys


def entry() -> int:
    try:
        from .cli import main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return main()


if __name__ == "__main__":
    sys.exit(entry())
