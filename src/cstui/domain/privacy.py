"""Contact details as an agent sees them before an audited reveal.

Masked, a phone, email or address is enough to confirm with the caller but not enough to
copy. The server sends these masked forms; the whole values come only from the reveal,
which is written to the event log. Masking a masked value changes nothing.
"""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to confirm with the caller, not enough to copy."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep = 3 if len(digits) >= 11 else 0
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def mask_email(email: str | None) -> str:
    if not email:
        return ""
    user, _, host = email.partition("@")
    return (user[:1] + "***@" + host) if host else "***"


def mask_address(address: str | None) -> str:
    """The province and city stay (they explain the parcel's route); the street is hidden."""
    if not address:
        return ""
    for marker in ("区", "县", "市"):
        cut = address.find(marker)
        if 0 < cut < len(address) - 1:
            return address[: cut + 1] + "****"
    return address[: max(2, len(address) // 3)] + "****"


def mask_recipient(recipient: str | None) -> str:
    """Where a delivery goes, as the API shows it: an address masked like an email, a
    platform's user id like a phone (it may be one). The whole contact is the reveal's."""
    if not recipient:
        return ""
    if "@" in recipient:
        return mask_email(recipient)
    return mask_phone(recipient)
