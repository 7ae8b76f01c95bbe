"""``python -m optimizer …`` is the ``chutalas`` command line."""

from optimizer.interfaces.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
