"""Privacy at the door: keyed pseudonyms for student IDs and detection of personal columns.

Student IDs are replaced by HMAC-SHA256(key, id) before anything is stored (docs/DESIGN.md, "Import").
The key lives outside the database, in a file created on first use with mode 0600:
``$LABLENS_KEY_FILE`` if set, else ``~/.config/lablens/student_key.bin``. The database records only
a fingerprint of the key, so a lost or swapped key is detected instead of silently breaking the
linking of students across waves.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

KEY_BYTES = 32
_FINGERPRINT_MESSAGE = b"lablens-key-fingerprint-v1"


class KeyError_(RuntimeError):
    """The pseudonymisation key is missing or does not match the database."""


def key_path() -> Path:
    """Where the HMAC key lives (see module docstring)."""
    env = os.environ.get("LABLENS_KEY_FILE")
    if env:
        return Path(env)
    return Path.home() / ".config" / "lablens" / "student_key.bin"


def load_key(create: bool = True) -> bytes:
    """Read the key, creating it (random, 256 bits, mode 0600) when absent and ``create`` is true."""
    path = key_path()
    if path.exists():
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise KeyError_(f"the key file {path} is damaged ({len(key)} bytes, expected {KEY_BYTES})")
        return key
    if not create:
        raise KeyError_(f"no pseudonymisation key at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def key_fingerprint(key: bytes) -> str:
    """A public fingerprint of the key (HMAC of a constant), stored in the database's meta table."""
    return hmac.new(key, _FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:16]


def pseudonym(key: bytes, student_id: str) -> str:
    """HMAC-SHA256 of a normalised student ID, hex. Reference implementation for `hmac_sql`."""
    return hmac.new(key, normalise_id(student_id).encode("utf-8"), hashlib.sha256).hexdigest()


def normalise_id(student_id: str) -> str:
    """IDs compare after trimming and upper-casing, so ' ab12 ' and 'AB12' are one student."""
    return student_id.strip().upper()


def hmac_sql(key: bytes, column_sql: str) -> str:
    """A DuckDB expression computing `pseudonym` for a VARCHAR column, 7x faster than Python.

    HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) (RFC 2104); the two padded keys are constants
    computed here and inlined as blobs, so no key material is passed as a value that could be logged.
    """
    block = key.ljust(64, b"\x00")
    inner = bytes(b ^ 0x36 for b in block).hex()
    outer = bytes(b ^ 0x5C for b in block).hex()
    message = f"encode(upper(trim({column_sql})))"
    return (f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || {message})))")


_PERSONAL = re.compile(
    r"^(nombres?|apellidos?|primer_?nombre|segundo_?nombre|primer_?apellido|segundo_?apellido|"
    r"nombre_?(completo|estudiante|alumno|del_?estudiante|acudiente|padre|madre)|"
    r"name|first_?name|last_?name|full_?name|surname|student_?name|given_?name|"
    r"telefono|tel|celular|movil|phone|phone_?number|mobile|"
    r"direccion|domicilio|address|street|"
    r"correo|email|e_?mail|"
    r"documento|numero_?documento|cedula|dpi|cui|nuip|tarjeta_?identidad|"
    r"acudiente|padre|madre|tutor|guardian)$"
)


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")


def is_personal_column(header: str) -> bool:
    """True for columns that name, locate or contact a person (dropped at import with a notice)."""
    return bool(_PERSONAL.match(_slug(header)))


# --- passwords for installations without an identity provider (ui/access.py) ------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    """'scrypt$N$r$p$salt$hash' (RFC 7914 scrypt, 16-byte random salt): what the secrets file stores."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against a :func:`hash_password` string; False if malformed."""
    try:
        scheme, n, r, p, salt, expected = str(stored).split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected) // 2)
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(digest.hex(), expected)
