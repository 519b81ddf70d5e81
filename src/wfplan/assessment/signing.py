"""Ed25519 signing keys and bundle signatures (``wfplan keys``, ``assess --sign``).

A signing key pair is two files, kept outside every bundle and database:

``NAME.key``
    The private key, PEM (PKCS #8), after one line ``Signer: NAME OF SIGNER``;
    created with mode 0600 and refused for signing when other users can read it.
``NAME.pub``
    The public key as one OpenSSH line, ``ssh-ed25519 BASE64 NAME OF SIGNER``:
    what the signer publishes and a verifier trusts.

A key's **fingerprint** is OpenSSH's: ``SHA256:`` and the unpadded base64 of the
SHA-256 of the key's OpenSSH encoding, so ``ssh-keygen -l -f NAME.pub`` shows the
same one without wfplan. ``wfplan assess --sign NAME.key`` records the signer,
the public key and its fingerprint in ``manifest.json`` (the report shows them),
then writes ``manifest.sig``: the base64 Ed25519 signature of the manifest's exact
bytes. The manifest hashes every other file, so the signature covers the whole
bundle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wfplan.errors import InputError

ALGORITHM = "Ed25519"
KEY_SUFFIX, PUB_SUFFIX = ".key", ".pub"
SIGNATURE_FILE = "manifest.sig"
_SIGNER_LINE = "Signer: "
_PEM = re.compile(r"-----BEGIN PRIVATE KEY-----\s.*?-----END PRIVATE KEY-----", re.DOTALL)
_SIGNER_RULE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


@dataclass(frozen=True)
class PublicKey:
    """A public key with its signer's name and where it came from."""

    key: Ed25519PublicKey
    signer: str
    source: str

    @property
    def line(self) -> str:
        """Return the key as one OpenSSH line (``ssh-ed25519 BASE64 SIGNER``)."""
        return f"{openssh(self.key)} {self.signer}".rstrip()

    @property
    def fingerprint(self) -> str:
        """Return the key's OpenSSH SHA-256 fingerprint."""
        return fingerprint(self.key)


@dataclass(frozen=True)
class SigningKey:
    """A private key loaded for signing, with its signer's name."""

    key: Ed25519PrivateKey
    signer: str

    @property
    def public(self) -> PublicKey:
        """Return the matching public key."""
        return PublicKey(self.key.public_key(), self.signer, "the signing key")

    def record(self) -> dict[str, str]:
        """Return what the manifest records about the signature (before it is made)."""
        public = self.public
        return {"algorithm": ALGORITHM, "signer": self.signer, "public_key": openssh(public.key),
                "fingerprint": public.fingerprint, "file": SIGNATURE_FILE}

    def sign(self, data: bytes) -> str:
        """Return the base64 signature of ``data``."""
        return base64.b64encode(self.key.sign(data)).decode("ascii")


def openssh(key: Ed25519PublicKey) -> str:
    """Return ``ssh-ed25519 BASE64``: the key in OpenSSH's one-line encoding."""
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode("ascii")


def pem_text(key: Ed25519PublicKey) -> str:
    """Return the public key as PEM (SubjectPublicKeyInfo), for tools such as openssl."""
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """Return ``SHA256:...``, OpenSSH's fingerprint of the key (as ``ssh-keygen -l``)."""
    blob = base64.b64decode(openssh(key).split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def check_signer(signer: str) -> str:
    """Return the signer's name, or raise InputError if it is empty, too long or has controls."""
    name = signer.strip()
    if not _SIGNER_RULE.fullmatch(name) or name.startswith(("=", "+", "-", "@")):
        raise InputError(f"signer {signer!r}: give a name of 1 to 200 characters on one line, "
                         "without control characters, not starting with = + - or @ (which a "
                         "spreadsheet reads as a formula)")
    return name


def key_paths(out: Path) -> tuple[Path, Path]:
    """Return ``(NAME.key, NAME.pub)`` for ``--out NAME`` (a given .key/.pub suffix is dropped)."""
    base = out.with_suffix("") if out.suffix in (KEY_SUFFIX, PUB_SUFFIX) else out
    return base.with_name(base.name + KEY_SUFFIX), base.with_name(base.name + PUB_SUFFIX)


def inside_bundle(path: Path) -> Path | None:
    """Return the assessment bundle (or bundle being written) that contains ``path``, if any."""
    for folder in Path(os.path.abspath(path)).parents:
        if (folder / "manifest.json").is_file() or ".partial-" in folder.name:
            return folder
    return None


def create_keys(out: Path, signer: str) -> tuple[Path, Path]:
    """Create an Ed25519 key pair ``NAME.key`` (mode 0600) and ``NAME.pub``; never overwrite.

    Raises
    ------
    InputError
        If either file exists, if ``out`` is inside an assessment bundle, or the
        signer's name is not one line of 1 to 200 characters.
    """
    name = check_signer(signer)
    private, public = key_paths(out)
    bundle = inside_bundle(private)
    if bundle is not None:
        raise InputError(f"{private}: this is inside the assessment bundle {bundle}; keep "
                         "signing keys outside every bundle and database")
    for path in (private, public):
        if path.exists() or path.is_symlink():
            raise InputError(f"{path} already exists: a key is never overwritten; choose "
                             "another --out NAME (or delete the old pair yourself)")
    if not private.parent.is_dir():
        raise InputError(f"{private.parent}: no such folder")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(f"{_SIGNER_LINE}{name}\n".encode() + pem)
    try:
        with public.open("x", encoding="utf-8") as handle:
            handle.write(PublicKey(key.public_key(), name, str(public)).line + "\n")
    except FileExistsError:
        private.unlink()
        raise InputError(f"{public} already exists: a key is never overwritten") from None
    return private, public


def load_signing_key(path: Path) -> SigningKey:
    """Read a private key file for signing.

    The signer is the file's ``Signer:`` line, or else the file's name without
    its suffix (a plain PEM Ed25519 key, e.g. from ``openssl genpkey``).

    Raises
    ------
    InputError
        If the file is missing, readable by other users, or not an Ed25519 private key.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such key file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable key file ({exc})") from None
    block = _PEM.search(text)
    key: Any = None
    if block is not None:
        try:
            key = serialization.load_pem_private_key(block.group(0).encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: not an unencrypted Ed25519 private key in PEM (make one "
                         "with: wfplan keys create --out NAME)")
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"{path}: other users can read this private key (mode "
                         f"{stat.S_IMODE(mode):04o}); make it private first: chmod 600 {path}")
    lines = [ln[len(_SIGNER_LINE):] for ln in text.splitlines() if ln.startswith(_SIGNER_LINE)]
    signer = lines[0] if lines else path.stem
    return SigningKey(key, check_signer(signer))


def parse_public_key(line: str, source: str) -> PublicKey:
    """Parse one OpenSSH public key line (``ssh-ed25519 BASE64 [SIGNER]``).

    Raises
    ------
    InputError
        If the line is not an Ed25519 public key.
    """
    parts = line.strip().split(maxsplit=2)
    key: Any = None
    if len(parts) >= 2 and parts[0] == "ssh-ed25519":
        try:
            key = serialization.load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
        except (ValueError, UnsupportedAlgorithm, binascii.Error):
            key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{source}: not an Ed25519 public key (expected one line "
                         "'ssh-ed25519 BASE64 SIGNER', as 'wfplan keys create' writes)")
    return PublicKey(key, parts[2].strip() if len(parts) > 2 else "", source)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such public key file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable public key file ({exc})") from None


def load_trusted_keys(keys: Iterable[Path] = (), lists: Iterable[Path] = ()) -> list[PublicKey]:
    """Read the keys a verifier trusts: ``.pub`` files, and files of one key a line.

    In a list file, blank lines and lines starting with ``#`` are ignored; every
    other line is one public key (``ssh-ed25519 BASE64 SIGNER``).
    """
    trusted = []
    for path in keys:
        text = _read_text(path)
        if "PRIVATE KEY" in text:
            raise InputError(f"{path}: this is a private key: give the public key (NAME.pub), "
                             "and keep the private key to yourself")
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) != 1:
            raise InputError(f"{path}: a public key file holds one line; for a list of keys "
                             "use --trusted-keys FILE")
        trusted.append(parse_public_key(lines[0], str(path)))
    for path in lists:
        for number, line in enumerate(_read_text(path).splitlines(), start=1):
            if line.strip() and not line.lstrip().startswith("#"):
                trusted.append(parse_public_key(line, f"{path}, line {number}"))
    return trusted


@dataclass(frozen=True)
class Authenticity:
    """Who signed a bundle, and whether that was checked against a trusted key."""

    signed: bool
    signer: str | None = None
    fingerprint: str | None = None
    checked: bool = False
    authentic: bool = False
    trusted_key: str | None = None


def _verifies(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _signature_bytes(bundle: Path) -> tuple[bytes | None, str | None]:
    path = bundle / SIGNATURE_FILE
    if not path.is_file():
        return None, "missing"
    try:
        raw = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64:
        return None, "not an Ed25519 signature (64 bytes in base64): it was damaged or replaced"
    return raw, None


def check_signature(bundle: Path, manifest_bytes: bytes, manifest: Mapping[str, Any],
                    trusted: list[PublicKey]) -> tuple[Authenticity, list[tuple[str, str]]]:
    """Check ``manifest.sig`` over the manifest's exact bytes.

    With ``trusted`` keys, the bundle must be signed by one of them. Without, the
    signature is checked only against the key the manifest names (which proves
    nothing about who made it, but catches a manifest changed after signing).

    Returns
    -------
    Authenticity, list of (where, problem)
        What was found, and every problem.
    """
    record = manifest.get("signature")
    signature, trouble = _signature_bytes(bundle)
    has_file = (bundle / SIGNATURE_FILE).is_file()
    if not isinstance(record, dict):
        if has_file:
            return Authenticity(False, checked=bool(trusted)), [(
                SIGNATURE_FILE, "present, but manifest.json records no signer: it was added, "
                                "or the manifest was replaced by an unsigned one")]
        problems = [("manifest.json", "the bundle is unsigned, so it cannot be authenticated "
                     "by the trusted key(s): nothing shows who made it")] if trusted else []
        return Authenticity(False, checked=bool(trusted)), problems
    signer, claimed = str(record.get("signer")), str(record.get("fingerprint"))
    found = Authenticity(True, signer, claimed, checked=bool(trusted))
    if signature is None:
        return found, [(SIGNATURE_FILE, f"{trouble}: manifest.json says the bundle is signed "
                                        f"by {signer!r} (key {claimed})")]
    if trusted:
        return _against_trusted(found, signature, manifest_bytes, record, trusted)
    named = _named_key(record)
    if named is None or fingerprint(named) != claimed:
        return found, [("manifest.json", "its signature record is inconsistent (the public key "
                                         "does not match its fingerprint)")]
    if not _verifies(named, signature, manifest_bytes):
        return found, [(SIGNATURE_FILE, f"does not match manifest.json under the key it names "
                                        f"({claimed}): the manifest was changed after "
                                        f"{signer!r} signed it")]
    return found, []


def _named_key(record: Mapping[str, Any]) -> Ed25519PublicKey | None:
    try:
        return parse_public_key(str(record.get("public_key", "")), "manifest.json").key
    except InputError:
        return None


def _against_trusted(found: Authenticity, signature: bytes, data: bytes,
                     record: Mapping[str, Any], trusted: list[PublicKey],
                     ) -> tuple[Authenticity, list[tuple[str, str]]]:
    signer, claimed = found.signer, found.fingerprint
    for key in trusted:
        if _verifies(key.key, signature, data):
            label = f"{key.source}" + (f" ({key.signer})" if key.signer else "")
            good = Authenticity(True, signer, key.fingerprint, checked=True, authentic=True,
                                trusted_key=label)
            if key.fingerprint != claimed:
                return good, [("manifest.json", f"names key {claimed} but was signed with "
                                                f"{key.fingerprint}")]
            return good, []
    if claimed in {key.fingerprint for key in trusted}:
        return found, [(SIGNATURE_FILE, f"does not match manifest.json under the trusted key "
                                        f"{claimed}: the manifest was changed after "
                                        f"{signer!r} signed it")]
    named = _named_key(record)
    own = named is not None and _verifies(named, signature, data)
    how = ("its signature is valid under that key, so whoever holds that key made or "
           "re-signed it" if own else "and its signature does not even match that key")
    return found, [(SIGNATURE_FILE, f"signed with key {claimed} (claiming signer {signer!r}), "
                                    f"which is none of the trusted keys; {how}")]
