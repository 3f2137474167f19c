"""python -m fxclass, and the `fxclass` command's entry: the CLI, with a Ctrl-C that comes while its
modules load (numpy, click: a second or more on a busy machine) an exit like any other, not a traceback."""
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
