"""Files in JSON bodies: base64 decoded strictly, each checked against the size limit.

A body with files may be larger than the API's usual 2 MB (`upload_limit`): a reply's or an
intake message's route takes up to twice the per-file limit and 2 MB more, which holds one
file at the limit in base64 (a third larger) with room to spare.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cstui.domain.channels import NewAttachment
from cstui.domain.files import decode_attachment, new_attachment
from cstui.errors import BadInput
from cstui.server import schemas as S
from cstui.server.admission import MAX_BODY_BYTES

# The routes whose bodies may carry files (a reply or note, an intake message).
UPLOAD_PATHS = re.compile(r"/api/v1/(?:intake/[^/]+|tickets/[^/]+/messages)")


def upload_limit(max_file_bytes: int) -> int:
    return MAX_BODY_BYTES + 2 * max_file_bytes


def decode_attachments(
    files: Sequence[S.AttachmentIn], *, max_bytes: int
) -> tuple[NewAttachment, ...]:
    """The files of a body, each under `max_bytes`; BadInput (422) naming the first bad one."""
    decoded = []
    for at, item in enumerate(files):
        # A bound on the text before decoding: base64 is 4 characters for 3 bytes.
        if len(item.content_base64) > (max_bytes + 2) // 3 * 4 + 4:
            raise BadInput(
                f"attachments.{at}: {item.name!r} is over the limit of {max_bytes} bytes"
            )
        try:
            file = decode_attachment(item.name, item.content_base64)
        except BadInput as exc:
            raise BadInput(f"attachments.{at}.content_base64: {exc}") from None
        decoded.append(new_attachment(file.filename, file.data, max_bytes=max_bytes))
    return tuple(decoded)
