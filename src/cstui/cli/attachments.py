"""`cstui attachments get ID --out PATH`: a ticket's file, saved where the user says.

The bytes come from the local store or the team server (`--api`) and are checked against
the sha256 stored with the file before anything is written; the file is then written whole
or not at all (`localfiles.save_as`). `--out -` writes the bytes to stdout (a pipe).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

import click

from cstui.cli.context import ID, env_of, global_options, say
from cstui.domain.channels import Attachment
from cstui.domain.files import human_size
from cstui.errors import BadInput, Unavailable


@click.group("attachments")
@global_options
def attachments() -> None:
    """Files that came with customers' messages or went with replies."""


@attachments.command("get")
@click.argument("attachment_id", metavar="ID", type=ID)
@click.option("--out", "out", required=True, help="Where to write the file (`-`: stdout)")
@click.option("--force", is_flag=True, help="Overwrite an existing file at --out")
@global_options
@click.pass_context
def get(ctx: click.Context, attachment_id: int, out: str, force: bool) -> None:
    """Write attachment ID's bytes to --out.

    --json: {"id", "filename", "content_type", "size", "sha256", "path"} (path null for
    stdout, where the bytes go instead).
    """
    env = env_of(ctx)
    if not out:
        raise BadInput("--out: a path, or - for stdout")
    if out == "-" and env.json:
        raise BadInput("--out: - writes the file to stdout, where --json cannot go too")
    facts, data = env.store().attachment(attachment_id)
    _check(facts, data)
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    from cstui.localfiles import save_as

    path = save_as(Path(out).expanduser(), data, overwrite=force)
    env.emit(
        _facts(facts, str(path)),
        lambda: say(f"{path}: {facts.filename} ({facts.content_type}, {human_size(facts.size)})"),
    )


def _check(facts: Attachment, data: bytes) -> None:
    """The bytes are the file that was stored (a cut-off download is never saved)."""
    if len(data) != facts.size or hashlib.sha256(data).hexdigest() != facts.sha256:
        raise Unavailable(
            f"attachment {facts.id}: {len(data)} bytes received do not match the stored "
            f"file ({facts.size} bytes, sha256 {facts.sha256[:12]}…)"
        )


def _facts(facts: Attachment, path: str | None) -> dict[str, Any]:
    return {
        "id": facts.id,
        "filename": facts.filename,
        "content_type": facts.content_type,
        "size": facts.size,
        "sha256": facts.sha256,
        "path": path,
    }
