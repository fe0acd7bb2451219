"""Quoted history and signatures trimmed from a reply, for display.

The full original is always kept beside it; this only decides where the customer's new
words end. It cuts at the first sign of quoted history:

- Outlook: "-----Original Message-----", "-----原始邮件-----", or a header block
  ("From: … / Sent: …", "发件人: … / 发送时间: …", "发件人： … / 日期：…"), with the
  "________" rule Outlook on the web draws above it;
- QQ Mail and Foxmail: "------------------ 原始邮件 ------------------" (or "Original"),
  Foxmail's header block ("发件人：", "发送时间：", "收件人：", "主题：");
- Gmail and Apple Mail: "On … wrote:" and "在 … 写道：" (a line or two);
- a trailing ">"-quoted block (inline answers between quotes are kept whole);

then drops a signature ("-- " on its own line) and the mobile clients' taglines
("发自我的iPhone", "Sent from my iPhone").

A forwarded message ("---------- Forwarded message ----------", "转发的邮件") is not history
but what the customer wants us to read: it stays.
"""

from __future__ import annotations

import re

_RULE_MARKERS = re.compile(
    r"^\s*-{2,}\s*(?:original message|原始邮件|原始郵件|original|邮件原文)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|发件人|寄件者|寄件人)\s*\*?\s*[:：]", re.IGNORECASE)
# A quoted header block always dates the mail it quotes; "From: 北京仓 / To: 上海" in a
# customer's own words does not.
_HEADER_DATE = re.compile(
    r"^\s*\*?(?:sent|date|发送时间|时间|日期|傳送時間|寄件日期)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_WROTE = re.compile(
    r"^\s*(?:on\b.{0,300}\bwrote\s*:|在.{0,300}写道\s*[:：]|於.{0,300}寫道\s*[:：])\s*$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|转发的邮件|轉寄的郵件|转发邮件)\s*-{2,}"
    r"|begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^-- ?$")
_TAGLINE = re.compile(
    r"^\s*(?:(?:发自|来自|从)我的.{0,30}"
    r"|发自(?:网易|QQ|腾讯|新浪|搜狐|手机|移动|安卓|Android|iPad|iPhone|华为|小米).{0,30}"
    r"|sent from my .{0,40}|get outlook for .{0,20})$",
    re.IGNORECASE,
)


def _header_block(lines: list[str], i: int) -> bool:
    if not _HEADER_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 6] if line.strip()]
    return any(_HEADER_DATE.match(line) for line in following[:3])


def _wrote(lines: list[str], i: int) -> bool:
    if _WROTE.match(lines[i]):
        return True
    # Clients wrap a long attribution line once.
    joined = lines[i] + " " + lines[i + 1] if i + 1 < len(lines) else ""
    return bool(joined) and bool(_WROTE.match(joined)) and len(joined) < 400


def _history_starts(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _RULE_MARKERS.match(line) or _header_block(lines, i):
        return True
    if _UNDERSCORES.match(line) and i + 1 < len(lines):
        return any(_header_block(lines, j) for j in range(i + 1, min(i + 3, len(lines))))
    return (line.startswith(("On ", "on ", "在", "於")) or "wrote" in line) and _wrote(lines, i)


def _trailing_quote(lines: list[str]) -> int:
    """Where the block of ">" lines (and blanks) ending the text starts, or len(lines)."""
    start = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped.startswith(">"):
            start = i
        elif stripped:
            break
    return start


def _signature(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line):
            return i
    return len(lines)


def _drop_taglines(lines: list[str]) -> list[str]:
    while lines and (not lines[-1].strip() or _TAGLINE.match(lines[-1])):
        lines = lines[:-1]
    return lines


def trim(text: str) -> str:
    """The new part of a reply: `text` up to its quoted history and signature. When nothing
    would be left (a bare forward, a reply of quotes only), `text` itself."""
    lines = text.splitlines()
    forward = next((i for i, line in enumerate(lines) if _FORWARD.match(line)), len(lines))
    cut = next((i for i in range(forward) if _history_starts(lines, i)), None)
    if cut is None and forward < len(lines):
        return text.strip()  # the forwarded message and its headers are the point
    kept = lines[: len(lines) if cut is None else cut]
    kept = kept[: _trailing_quote(kept)]
    kept = _drop_taglines(kept[: _signature(kept)])
    result = "\n".join(kept).strip()
    return result if result else text.strip()
