"""``python -m jdsearch.web [--index DIR] [--host H] [--port P]``: the server without the CLI.

The load benchmark starts the server this way (with its extra switches); users and the browser
tests run ``jdsearch serve``. Both go through :func:`jdsearch.web.app.serve`.
"""

from __future__ import annotations

import argparse
import sys

from jdsearch.store import JdsearchError, default_index_dir
from jdsearch.web.app import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jdsearch.web", description=__doc__)
    parser.add_argument("--index", default=str(default_index_dir()), help="index directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--no-access-log", action="store_true", help="do not log each request")
    parser.add_argument(
        "--search-cache", type=int, default=1024, help="search answers kept (0: no cache)"
    )
    args = parser.parse_args(argv)
    try:
        serve(
            args.index,
            host=args.host,
            port=args.port,
            access_log=not args.no_access_log,
            search_cache=args.search_cache,
        )
    except JdsearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
