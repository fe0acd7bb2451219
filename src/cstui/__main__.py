"""Entry point: run the CLI and turn every error into one line and its exit code."""

from __future__ import annotations

import gc
import os
import sys
import traceback

import click

from cstui.domain.display import inert
from cstui.errors import CstuiError

USAGE_ERROR = 1
BAD_INPUT = 2


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
    try:
        cli.main(args=argv, prog_name="cstui", standalone_mode=False, obj=env)
        code = 0
    except CstuiError as exc:
        code = _fail(str(exc), exc.exit_code)
    except click.BadParameter as exc:
        code = _fail(exc.format_message(), BAD_INPUT)
    except click.exceptions.Abort:
        code = _fail("aborted", USAGE_ERROR)
    except click.ClickException as exc:
        code = _fail(exc.format_message(), USAGE_ERROR)
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # never a traceback for users; CSTUI_DEBUG=1 shows it
        if os.environ.get("CSTUI_DEBUG"):
            traceback.print_exc()
        known = _storage_error(exc)
        if known is not None:
            code = _fail(str(known), known.exit_code)
        else:
            code = _fail(f"unexpected error: {type(exc).__name__}: {exc}", USAGE_ERROR)
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


def _fail(message: str, code: int) -> int:
    first = message.strip().splitlines()[0] if message.strip() else "error"
    click.echo(f"cstui: {inert(first)}", err=True)  # it may quote a ticket or a name
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
