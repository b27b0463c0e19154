"""Local names for files that remote peers name: never outside our folders, always safe.

Peers choose file and folder names, so a name is untrusted input: it may hold ``..``, absolute or
drive paths, UNC prefixes, NUL and control characters, look-alike unicode, reserved Windows names
or thousands of characters. Everything here is pure and total: any string gives a usable name.
"""

from __future__ import annotations

from pathlib import Path, PurePath
import re
import unicodedata

# Longest name we write, in UTF-8 bytes (ext4 and most file systems allow 255).
MAX_NAME_BYTES = 180
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)


def remote_parts(remote_path: str) -> list[str]:
    """The components of a remote path (peers use backslashes, sometimes slashes)."""
    return [part for part in re.split(r"[\\/]+", remote_path) if part]


def safe_name(name: str, *, fallback: str = "download") -> str:
    """One path component that is safe on every file system we write to."""
    text = unicodedata.normalize("NFKC", name)
    # NFKC can produce separators from look-alikes (e.g. fullwidth solidus): replace after it.
    text = _UNSAFE.sub("_", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = text.strip(" .")
    if not text or set(text) <= {"_"}:
        text = fallback
    if _RESERVED.match(text):
        text = f"_{text}"
    if len(text.encode()) > MAX_NAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        ext = f".{ext}" if dot and 0 < len(ext) <= 8 else ""
        stem = stem if ext else text
        budget = MAX_NAME_BYTES - len(ext.encode())
        stem = stem.encode()[:budget].decode(errors="ignore").rstrip(" .") or fallback
        text = stem + ext
    return text


def inside(folder: Path, candidate: Path) -> bool:
    """Whether ``candidate`` stays inside ``folder`` once both are resolved."""
    try:
        candidate.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def slskd_landing(downloads_dir: Path, remote_path: str) -> Path | None:
    """Where slskd writes a finished download: ``<downloads>/<last remote folder>/<file>``.

    None when the remote path has no file name or the result would leave the folder.
    """
    parts = remote_parts(remote_path)
    if not parts:
        return None
    # Checked before PurePath, which drops "." parts ("." alone would name the folder itself).
    if any(part in ("..", ".") for part in parts[-2:]):
        return None
    relative = PurePath(*parts[-2:])
    if relative.is_absolute():
        return None
    candidate = downloads_dir / relative
    return candidate if inside(downloads_dir, candidate) else None


def clash_renamed(path: Path) -> str:
    """The glob slskd's clash renames of ``path`` match (``name_<ticks>.ext``)."""
    return f"{glob_escape(path.stem)}_[0-9]*{glob_escape(path.suffix)}"


def glob_escape(text: str) -> str:
    """``text`` as a literal inside a glob pattern."""
    return re.sub(r"([*?\[])", r"[\1]", text)
