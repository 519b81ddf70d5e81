"""Decide the text encoding of a CSV file once, and check that every line agrees with it.

Every importer reads CSV text through :func:`decide`, called once per file by
:func:`wfplan.dataset.readers.probe`; the readers then decode the whole file
with the one encoding it returns. The rule:

- A file that is not text is refused before any parsing, with a safe summary
  instead of its bytes: a known signature (``looks like a binary file (a PNG
  image), not CSV text``), UTF-16 or UTF-32 text (with or without a byte-order
  mark), or a sample in which more than one byte in ten is a control byte.
- With the default ``utf-8``: a file whose every line is UTF-8 is read as UTF-8
  (a byte-order mark is skipped). A file in which no line is UTF-8 text beyond
  ASCII, but some line is not UTF-8, is read as Windows-1252 (cp1252), the
  encoding Excel on Windows writes, and :attr:`Decoding.note` says so. A file
  with both kinds of line mixes encodings: whichever encoding were chosen, some
  lines would be stored as mojibake (``PCN â€“ cafÃ©``), so it is refused, naming
  a line of each kind.
- With another encoding asked for (``--encoding cp1252``), every line must
  decode in it; lines that are also UTF-8 text beyond ASCII are read as asked,
  and named in a warning (:attr:`Decoding.warnings`), with both readings.
- A byte that neither UTF-8 nor Windows-1252 decodes (``0x81``, ``0x8d``,
  ``0x8f``, ``0x90``, ``0x9d``) is an error naming its line.
- A UTF-8 file with text that reads as UTF-8 decoded the wrong way before it was
  saved (``cafÃ©`` for ``café``) is loaded as it is, with a warning naming the line.

Only encodings in which ASCII characters are single bytes (UTF-8, Windows-1252,
ISO-8859-1, ...) can be asked for: lines are split on the line-feed byte.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from wfplan.errors import InputError, quoted

CP1252 = "cp1252"
RULE_TEXT = "rule: CSV text is UTF-8 or Windows-1252"
RULE_ONE = "rule: one text encoding per file"
_UTF8 = frozenset({"utf-8", "utf-8-sig"})
#: Lines of each kind named in a message.
_EXAMPLES = 5
_SAMPLE = 8192
_BLOCK = 1 << 20
#: Signatures of files that are not text, by their first bytes.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a ZIP archive; an XLSX workbook is one: name it .xlsx"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"%PDF-", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (XLS or DOC)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard-compressed file"),
)
_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 text (big-endian, with a byte-order mark)"),
    (b"\xff\xfe\x00\x00", "UTF-32 text (little-endian, with a byte-order mark)"),
    (b"\xfe\xff", "UTF-16 text (big-endian, with a byte-order mark)"),
    (b"\xff\xfe", "UTF-16 text (little-endian, with a byte-order mark)"),
)
_REPLACEMENT = "\ufffd".encode()
_CONTROL = bytes(sorted(set(range(0x20)) - {0x09, 0x0a, 0x0c, 0x0d} | {0x7f}))
#: A run of characters that Windows-1252 writes as bytes 0x80-0xff.
_HIGH_RUN = re.compile(r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                       r"\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                       r"\u2039\u203a\u20ac\u2122]{2,}")


@dataclass(frozen=True)
class Decoding:
    """The encoding a file is read with, and what the check of its lines found."""

    encoding: str
    """The codec every reader of the file uses (``utf-8-sig`` when there is a BOM)."""
    fallback: tuple[int, int] | None = None
    """(line, byte) of the first line that is not UTF-8, when read as Windows-1252."""
    warnings: tuple[tuple[str, str], ...] = field(default=())
    """(what, rule) of lines that disagree with the encoding used, or look like mojibake."""

    @property
    def note(self) -> str | None:
        """Return what the ingest summary says about the encoding (``None``: plain UTF-8)."""
        if self.fallback is None:
            return None
        line, byte = self.fallback
        return (f"the file is not UTF-8 (line {line}: byte 0x{byte:02x}); it was read as "
                "Windows-1252 (cp1252), every line of it")


@dataclass
class _Lines:
    """The non-ASCII lines of a file, by kind (the first few of each, and counts).

    ``codec`` is the encoding every line must decode in: every line if it was asked
    for, else (Windows-1252) every line that is not UTF-8.
    """

    codec: str
    asked: bool
    utf8: list[tuple[int, bytes]] = field(default_factory=list)
    other: list[tuple[int, bytes, int]] = field(default_factory=list)
    utf8_count: int = 0
    other_count: int = 0
    undecodable: tuple[int, int] | None = None
    """(line, byte) of the first line that ``codec`` cannot decode."""

    def add(self, number: int, raw: bytes, utf8: bool, check: bool) -> None:
        """Count one line; ``check``: whether it may hold a byte ``codec`` cannot decode."""
        if utf8:
            self.utf8_count += 1
            if len(self.utf8) < _EXAMPLES:
                self.utf8.append((number, raw))
        else:
            self.other_count += 1
            if len(self.other) < _EXAMPLES:
                self.other.append((number, raw, raw[_first_invalid(raw)]))
        if check and self.undecodable is None and (self.asked or not utf8):
            try:
                raw.decode(self.codec)
            except UnicodeDecodeError as err:
                self.undecodable = (number, raw[err.start])


def _first_invalid(raw: bytes) -> int:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start
    return 0


def decide(path: Path, requested: str = "utf-8") -> Decoding:
    """Return the one encoding to read a CSV file with, having checked every line.

    Parameters
    ----------
    path : Path
        The file.
    requested : str
        The encoding asked for (``--encoding``); ``utf-8`` means UTF-8, else Windows-1252.

    Raises
    ------
    InputError
        If the file is not text, mixes encodings, holds a byte its encoding
        cannot decode, or ``requested`` is unknown or not ASCII-compatible.
    """
    codec = _codec(path, requested)
    with path.open("rb") as handle:
        head = handle.read(_SAMPLE)
    _refuse_binary(path, head)
    bom = head.startswith(codecs.BOM_UTF8)
    lines = _Lines(CP1252 if codec in _UTF8 else codec, asked=codec not in _UTF8)
    _scan(path, lines, bom)
    if codec in _UTF8:
        return _automatic(path, lines, bom)
    return _asked(path, codec, requested, lines)


def _codec(path: Path, requested: str) -> str:
    try:
        info = codecs.lookup(requested)
    except LookupError:
        raise InputError(f"{path}: unknown text encoding {quoted(requested)}; use e.g. "
                         "utf-8 or cp1252") from None
    probe = "\n\r,\"'abcXYZ019 ;|\t"
    try:
        compatible = probe.encode(info.name) == probe.encode("ascii")
    except (UnicodeError, LookupError):
        compatible = False
    if not compatible:
        raise InputError(
            f"{path}: --encoding {requested}: wfplan reads CSV text in UTF-8, Windows-1252 "
            "or another encoding in which commas and line ends are single bytes; save the "
            "file as CSV UTF-8 and ingest it without --encoding")
    return info.name


def _refuse_binary(path: Path, head: bytes) -> None:
    """Refuse a file that is not text, with a summary instead of its bytes."""
    if not head:
        return
    for mark, what in _BOMS:
        if head.startswith(mark):
            raise _not_text(path, what)
    wide = _utf16_without_bom(head)
    if wide:
        raise _not_text(path, f"UTF-16 text ({wide}, no byte-order mark)")
    binary = describe(head)
    if binary is not None:
        raise InputError(f"{path}: looks like a binary file ({binary}), not CSV text; "
                         "wfplan reads CSV, XLSX and Parquet files")


def _not_text(path: Path, what: str) -> InputError:
    return InputError(
        f"{path}: the file is {what}, which wfplan does not read: save it as CSV UTF-8 (in "
        f"Excel: Save As, 'CSV UTF-8 (Comma delimited)') ({RULE_TEXT})")


def describe(head: bytes) -> str | None:
    """Return what the first bytes of a file that is not text look like, or ``None`` if text."""
    for mark, what in SIGNATURES:
        if head.startswith(mark):
            return what
    if head[8:12] == b"DUCK":
        return "a DuckDB database"
    sample = head[:_SAMPLE]
    control = len(sample) - len(sample.translate(None, _CONTROL))
    if sample and control * 10 > len(sample):
        return f"{control} of its first {len(sample)} bytes are control bytes"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) * 10 >= len(odd) * 4 and even.count(0) * 10 < len(even):
        return "little-endian"
    if even.count(0) * 10 >= len(even) * 4 and odd.count(0) * 10 < len(odd):
        return "big-endian"
    return None


def _scan(path: Path, lines: _Lines, bom: bool) -> None:
    """Sort every line holding a byte above 0x7f into ``lines``, in one pass of whole blocks.

    Whole blocks are decoded first (fast); only a block that does not decode is
    looked at line by line.
    """
    first = 1  # the line number of the block's first line
    carry = b""
    with path.open("rb") as handle:
        handle.seek(len(codecs.BOM_UTF8) if bom else 0)
        for block in iter(lambda: handle.read(_BLOCK), b""):
            data = carry + block
            end = data.rfind(b"\n") + 1
            body, carry = data[:end], data[end:]
            _scan_block(body, first, lines)
            first += body.count(b"\n")
    _scan_block(carry, first, lines)


def _scan_block(body: bytes, first: int, lines: _Lines) -> None:
    if body.isascii():
        return
    utf8 = _decodes(body, "utf-8")
    check = not _decodes(body, lines.codec)
    for offset, raw in enumerate(body.split(b"\n")):
        if not raw.isascii():
            # A replacement character in the lenient decoding means a byte that is not
            # UTF-8, unless the line holds one itself (bytes EF BF BD).
            is_utf8 = utf8 or "\ufffd" not in raw.decode("utf-8", "replace") or (
                _REPLACEMENT in raw and _decodes(raw, "utf-8"))
            lines.add(first + offset, raw, is_utf8, check)


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _automatic(path: Path, lines: _Lines, bom: bool) -> Decoding:
    """Return UTF-8 if every line is, else Windows-1252 if no line is UTF-8 beyond ASCII."""
    if not lines.other:
        return Decoding("utf-8-sig" if bom else "utf-8",
                        warnings=tuple(_mojibake_warnings(lines)))
    _refuse_undecodable(path, lines)
    if lines.utf8:
        raise _mixed(path, lines)
    number, _, byte = lines.other[0]
    return Decoding(CP1252, fallback=(number, byte))


def _asked(path: Path, codec: str, requested: str, lines: _Lines) -> Decoding:
    """Return the encoding asked for, once every line decodes in it; warn of UTF-8 lines."""
    if lines.undecodable is not None:
        number, byte = lines.undecodable
        raise InputError(
            f"{path}: line {number}: byte 0x{byte:02x} is not {_label(codec)} text, as "
            f"--encoding {requested} says the file is ({RULE_ONE})")
    if not lines.utf8:
        return Decoding(codec)
    number, raw = lines.utf8[0]
    more = _listed([n for n, _ in lines.utf8], lines.utf8_count)
    warning = (
        f"line {number} is also UTF-8 text: read as {_label(codec)}, as --encoding {requested} "
        f"asked, it is {quoted(_excerpt(raw.decode(codec)))}; as UTF-8 it would be "
        f"{quoted(_excerpt(raw.decode('utf-8')))}; {lines.utf8_count} such line(s) ({more}): "
        "if the file is UTF-8, ingest it without --encoding")
    return Decoding(codec, warnings=((warning, RULE_ONE.removeprefix("rule: ")),))


def _refuse_undecodable(path: Path, lines: _Lines) -> None:
    if lines.undecodable is not None:
        number, byte = lines.undecodable
        raise InputError(
            f"{path}: line {number}: byte 0x{byte:02x} is neither UTF-8 nor Windows-1252 "
            "(cp1252) text: is the file damaged, or not CSV text? If it is in another "
            f"encoding, pass --encoding NAME ({RULE_TEXT})")


def _mixed(path: Path, lines: _Lines) -> InputError:
    bad, _, byte = lines.other[0]
    good, text = lines.utf8[0]
    return InputError(
        f"{path}: mixes text encodings: line {bad} is not UTF-8 (byte 0x{byte:02x}), so the "
        f"file would be read as Windows-1252 (cp1252), but line {good} is UTF-8, which "
        f"Windows-1252 would store as {quoted(_excerpt(text.decode(CP1252, 'replace')))} "
        f"instead of {quoted(_excerpt(text.decode('utf-8')))}. "
        f"{lines.utf8_count} line(s) are UTF-8 "
        f"({_listed([n for n, _ in lines.utf8], lines.utf8_count)}), {lines.other_count} are "
        f"not ({_listed([n for n, _, _ in lines.other], lines.other_count)}). Save the file in "
        "one encoding (CSV UTF-8), or pass --encoding cp1252 if every line is Windows-1252 "
        f"text ({RULE_ONE})")


def _mojibake_warnings(lines: _Lines) -> list[tuple[str, str]]:
    """Return a warning for UTF-8 lines holding text that reads as UTF-8 decoded as cp1252."""
    found: list[tuple[int, str, str]] = []
    count = 0
    for number, raw in lines.utf8:
        text = raw.decode("utf-8")
        for run in _HIGH_RUN.findall(text):
            try:
                fixed = run.encode(CP1252).decode("utf-8")
            except UnicodeError:
                continue
            if not fixed.isascii():
                count += 1
                found.append((number, text, text.replace(run, fixed)))
                break
    if not found:
        return []
    number, text, fixed = found[0]
    return [(f"line {number} holds {quoted(_excerpt(text))}, which reads like UTF-8 text "
            f"decoded as Windows-1252 before the file was saved ({quoted(_excerpt(fixed))}); "
            f"loaded as it is; {count} such line(s) among the first {_EXAMPLES} UTF-8 lines "
            f"({_listed([n for n, _, _ in found], count)})", "no mojibake")]


def _excerpt(text: str, width: int = 40) -> str:
    """Return the field of a line that holds its first character beyond ASCII."""
    text = text.rstrip("\r\n")
    first = next((i for i, c in enumerate(text) if ord(c) > 0x7f), 0)
    start = text.rfind(",", 0, first) + 1
    end = text.find(",", first)
    piece = text[start:end if end >= 0 else len(text)].strip().strip('"')
    return piece if len(piece) <= width else piece[:width] + "..."


def _listed(numbers: list[int], count: int) -> str:
    shown = ", ".join(f"line {n}" for n in numbers)
    return shown + (f" and {count - len(numbers)} more" if count > len(numbers) else "")


def _label(codec: str) -> str:
    return {"cp1252": "Windows-1252 (cp1252)", "latin_1": "ISO-8859-1 (latin-1)",
            "utf-8": "UTF-8"}.get(codec, codec)
