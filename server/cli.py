"""The ``khidma`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from server.definitions.loader import load_tree, summary
from server.paths import shipped_root


def cmd_check(args: argparse.Namespace) -> int:
    root = Path(args.dir) if args.dir else shipped_root()
    result = load_tree(root)
    if result.errors:
        for error in result.errors:
            print(error, file=sys.stderr)
        print(f"{len(result.errors)} error(s) in {root}", file=sys.stderr)
        return 1
    assert result.catalogue is not None
    for line in summary(result.catalogue):
        print(line)
    print(f"{len(result.catalogue.services)} services, no errors")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import msgspec
    import uvicorn

    from server.app import DefinitionsInvalid, create_app
    from server.settings import Settings

    settings = Settings(db_path=Path(args.db), base_url=f"http://{args.host}:{args.port}")
    if args.definitions:
        settings = msgspec.structs.replace(settings, definitions=Path(args.definitions))
    try:
        app = create_app(settings)
    except DefinitionsInvalid as exc:
        print(f"the definitions have errors:\n{exc}", file=sys.stderr)
        return 1
    print(f"khidma serving on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="khidma", description="A low-code forms and workflow server.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a definitions tree and print one line per service")
    check.add_argument(
        "dir", nargs="?", help="a tree holding service_definitions/, form_schemas/, workflows/"
    )
    check.set_defaults(func=cmd_check)

    serve = commands.add_parser("serve", help="start the server on an embedded SQLite file")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", default="khidma.db", help="the SQLite file (created on first start)")
    serve.add_argument("--definitions", help="the definitions tree to load (default: the shipped one)")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
