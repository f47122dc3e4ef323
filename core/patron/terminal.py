"""Text for terminals: stored data never gets to drive the terminal.

A customer's name can hold ``ESC ] 0 ; title BEL`` (sets the window title),
``ESC [ 2 J`` (clears the screen) or a right-to-left override that makes one
text read as another. Every rendering meant for a person passes stored values
through ``clean``: control characters (C0, DEL, C1) and invisible format
characters (bidi overrides, zero-width) are shown as visible escapes
(``\\x1b``, ``\\u202e``) instead of being sent to the terminal.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls, DEL and C1 controls; the format characters (Cf) are checked one by one below.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_KEEP_LINES = {"\n", "\t"}


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object, *, lines: bool = False) -> str:
    """``value`` as text safe to print; with ``lines`` newlines and tabs are kept (documents)."""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and not _CONTROL.search(text):
        return text
    return "".join(
        char
        if (lines and char in _KEEP_LINES)
        or not (_CONTROL.match(char) or (not char.isascii() and unicodedata.category(char) == "Cf"))
        else _escape(char)
        for char in text
    )


class TerminalWriter:
    """A text stream that cleans everything written to it (keeping newlines and tabs).

    ``patron.cli.main`` puts it in front of ``sys.stdout`` when stdout is a
    terminal, so every command's output, plugins' included, is covered; output
    piped to a file or program is left byte-for-byte as rendered.
    """

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(clean(text, lines=True))  # type: ignore[attr-defined]
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)
