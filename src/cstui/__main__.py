"""Entry point: run the CLI and turn every error into one line and its exit code.

With `--json` the line is a JSON object on stderr, one shape for every error:
`{"error": {"code": 2, "kind": "bad_input", "message": "--view: …"}}` (`KINDS`).
Ctrl+C ends a command with exit 130, as a shell expects of an interrupted program.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
import traceback

import click

from cstui.domain.display import inert
from cstui.errors import CstuiError

USAGE_ERROR = 1
BAD_INPUT = 2
INTERRUPTED = 130  # 128 + SIGINT
KINDS = {
    1: "error",
    2: "bad_input",
    3: "conflict",
    4: "not_found",
    5: "permission_denied",
    6: "unavailable",
    INTERRUPTED: "interrupted",
}


def main(argv: list[str] | None = None) -> int:
    """Run `cstui`; returns (and exits with) the documented exit code."""
    # Start-up makes objects that live as long as the process (modules, classes, settings,
    # the console's widgets): the cyclic collector's passes over them cost the console
    # 55-75 ms before its first row. It is paused until the console's store is open (the
    # console freezes what exists then, see `CstuiApp._store_ready`) or a subcommand runs.
    gc.disable()
    from cstui.cli import cli
    from cstui.cli.context import Env

    env = Env()
    args = sys.argv[1:] if argv is None else argv
    as_json = "--json" in args  # also when parsing fails before the option is read
    fail = functools.partial(_fail, as_json=as_json)
    try:
        cli.main(args=argv, prog_name="cstui", standalone_mode=False, obj=env)
        code = 0
    except CstuiError as exc:
        code = fail(str(exc), exc.exit_code)
    except click.BadParameter as exc:
        code = fail(exc.format_message(), BAD_INPUT)
    except KeyboardInterrupt:
        code = fail("interrupted", INTERRUPTED)
    except click.exceptions.Abort as exc:  # click's word for Ctrl+C (or EOF) at a prompt
        interrupted = isinstance(exc.__context__, KeyboardInterrupt)
        code = fail("interrupted", INTERRUPTED) if interrupted else fail("aborted", USAGE_ERROR)
    except click.ClickException as exc:
        code = fail(exc.format_message(), USAGE_ERROR)
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # never a traceback for users; CSTUI_DEBUG=1 shows it
        if os.environ.get("CSTUI_DEBUG"):
            traceback.print_exc()
        known = _storage_error(exc)
        if known is not None:
            code = fail(str(known), known.exit_code)
        else:
            code = fail(f"unexpected error: {type(exc).__name__}: {exc}", USAGE_ERROR)
    finally:
        env.close()
        gc.enable()
    return code


def _storage_error(exc: Exception) -> CstuiError | None:
    """A full disk or a read-only store met outside the store's own transactions (an
    import, a migration): its one line (exit 6). Only a database's errors are looked at."""
    if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
        return None
    from cstui.store.engine import storage_error

    return storage_error(exc)


def _fail(message: str, code: int, *, as_json: bool = False) -> int:
    first = message.strip().splitlines()[0] if message.strip() else "error"
    if as_json:  # the exact text: json.dumps escapes every control
        error = {"code": code, "kind": KINDS.get(code, "error"), "message": first}
        click.echo(json.dumps({"error": error}, ensure_ascii=False), err=True)
    else:
        click.echo(f"cstui: {inert(first)}", err=True)  # it may quote a ticket or a name
    return code


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:  # before the command ran, or while it was cleaning up
        code = _fail("interrupted", INTERRUPTED, as_json="--json" in sys.argv[1:])
    sys.exit(code)


if __name__ == "__main__":
    run()
