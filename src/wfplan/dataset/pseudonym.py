"""Pseudonym keys: the secret that turns person identifiers into hashes, kept outside the data.

Record-level extracts (``staff_records``) identify people by a stable
identifier. wfplan stores only ``HMAC-SHA256(key, source NUL identifier)``, so
that the next period's extract can be linked to this one (flows), and the raw
identifier never reaches the database. The hash is only as secret as the key:
an identifier space is small (8-digit ESR numbers are 10^8 candidates, minutes
of hashing), so anyone holding the key and the database can recover every
identifier. Hence:

- the **key comes from outside the database**: a key file named by
  ``--pseudonym-key FILE``, or ``$WFPLAN_PSEUDONYM_KEY`` (the key itself); it is
  never written to the database, a bundle or a log;
- a key is **256 random bits** (64 hexadecimal characters), made by ``wfplan keys
  pseudonym --out FILE`` (mode 0600); anything shorter is refused, because a
  guessable key makes the hashes guessable too;
- the database keeps, per vintage, only the key's **fingerprint**,
  ``HMAC-SHA256(key, "wfplan pseudonym key fingerprint v1")``, so that loading
  more records into the same series with another key is refused (their hashes
  would never match and every person would look like a joiner). With a 256-bit
  key the fingerprint reveals nothing that helps: computing any identifier's hash
  needs the key, and finding the key from the fingerprint means trying 2^256
  keys. It does let whoever already holds a key check that it is the right one,
  and shows which vintages share a key.

Identifiers that a source publishes openly (the PCN workforce publication's
``UNIQUE_IDENTIFIER``) are not secret: they are hashed with the fixed, public
:data:`OPEN_DATA_KEY` and need no key of the user's.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.errors import InputError

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: The environment variable that may hold the key itself (64 hexadecimal characters).
KEY_ENV = "WFPLAN_PSEUDONYM_KEY"
#: Bytes of key material: 256 bits.
KEY_BYTES = 32
_FINGERPRINT_LABEL = b"wfplan pseudonym key fingerprint v1"
_HEX = re.compile(r"[0-9a-fA-F]+")
HOW_TO_MAKE = "make one with 'wfplan keys pseudonym --out FILE' and keep it apart from the data"


@dataclass(frozen=True)
class PseudonymKey:
    """A secret key for hashing person identifiers (never printed: see ``__repr__``)."""

    secret: bytes = field(repr=False)
    origin: str = "key"

    def __post_init__(self) -> None:
        if len(self.secret) < KEY_BYTES:
            raise InputError(f"{self.origin}: a pseudonym key must hold {KEY_BYTES * 8} bits "
                             f"({KEY_BYTES * 2} hexadecimal characters), not "
                             f"{len(self.secret) * 8}; {HOW_TO_MAKE}")

    @property
    def fingerprint(self) -> str:
        """Return the key's fingerprint: what the database keeps to recognise the key."""
        return hmac.new(self.secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()

    def hash(self, source: str, ids: pd.Series) -> pd.Series:
        """Return HMAC-SHA256(key, source + NUL + id) in hex for each identifier."""
        text = ids.astype(str)
        digests = {value: hmac.new(self.secret, f"{source}\0{value}".encode(),
                                   hashlib.sha256).hexdigest()
                   for value in pd.unique(text)}
        return text.map(digests)


#: The key of identifiers a source publishes openly (not a secret: see the module notes).
OPEN_DATA_KEY = PseudonymKey(hashlib.sha256(b"wfplan open-data identifiers").digest(),
                             "open-data key")


def parse_key(text: str, origin: str) -> PseudonymKey:
    """Return the key written in ``text`` (lines starting ``#`` are comments)."""
    body = "".join(line.strip() for line in text.splitlines()
                   if line.strip() and not line.strip().startswith("#"))
    if not _HEX.fullmatch(body or "-") or len(body) % 2:
        raise InputError(f"{origin}: not a wfplan pseudonym key (expected {KEY_BYTES * 2} "
                         f"hexadecimal characters); {HOW_TO_MAKE}")
    return PseudonymKey(bytes.fromhex(body), origin)


def read_key(path: Path) -> PseudonymKey:
    """Read a key file.

    Raises
    ------
    InputError
        If the file cannot be read or holds no valid key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such pseudonym key file; {HOW_TO_MAKE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the pseudonym key file ({exc})") from None
    return parse_key(text, str(path))


def resolve(path: Path | None) -> PseudonymKey | None:
    """Return the key of ``--pseudonym-key FILE``, else of ``$WFPLAN_PSEUDONYM_KEY``, else None."""
    if path is not None:
        return read_key(path)
    value = os.environ.get(KEY_ENV)
    return parse_key(value, f"${KEY_ENV}") if value else None


def write_key(path: Path) -> PseudonymKey:
    """Write a new random key to ``path`` (a new file, mode 0600) and return it.

    Raises
    ------
    InputError
        If ``path`` exists (a key is never overwritten) or cannot be written.
    """
    secret = secrets.token_bytes(KEY_BYTES)
    text = ("# wfplan pseudonym key: keep it secret, apart from the database and its backups.\n"
            "# Anyone with this key and the database can recover every person identifier;\n"
            "# without it, no more records can be added to the series it hashed.\n"
            f"{secret.hex()}\n")
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{path} already exists: a key is never overwritten (its series "
                         "would be lost); choose a new file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot create the key file ({exc})") from None
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    return PseudonymKey(secret, str(path))


_ACTIVE: ContextVar[PseudonymKey | None] = ContextVar("wfplan_pseudonym_key", default=None)


@contextmanager
def using(key: PseudonymKey | None) -> Iterator[None]:
    """Make ``key`` the key importers hash identifiers with, inside the block."""
    token = _ACTIVE.set(key)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def required(what: str) -> PseudonymKey:
    """Return the key in use, or refuse: ``what`` needs one.

    Raises
    ------
    InputError
        If no key was given.
    """
    key = _ACTIVE.get()
    if key is None:
        raise InputError(f"{what}: record-level identifiers need a pseudonym key, given with "
                         f"--pseudonym-key FILE or ${KEY_ENV}; {HOW_TO_MAKE}. The key is never "
                         "stored with the data")
    return key


def check_series(store: Store, vintage: str, source: str, key: PseudonymKey) -> None:
    """Refuse ``key`` if the vintage's records of ``source`` were hashed with another; else note it.

    Raises
    ------
    InputError
        If the vintage holds that source's records under another key.
    """
    from wfplan.dataset.store.queries import ingest as queries

    held = queries.pseudonym_fingerprint(store, vintage, source)
    if held is None:
        queries.record_pseudonym_fingerprint(store, vintage, source, key.fingerprint)
        return
    if not hmac.compare_digest(str(held), key.fingerprint):
        raise InputError(
            f"vintage {vintage!r}: its {source} records were hashed with another pseudonym "
            f"key (fingerprint {str(held)[:16]}…, this key's is {key.fingerprint[:16]}…): "
            "use the key the series was loaded with, or load into a new vintage")
