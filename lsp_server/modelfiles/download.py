"""Download one large file safely: resume, free-space check, checksum, atomic rename.

Bytes go to DEST.part; an interrupted download resumes from the .part's size with an
HTTP Range request (If-Range with the ETag seen before, so a file changed upstream
restarts from zero instead of being spliced). The SHA-256 is computed while writing;
only a file whose hash matches (when one is expected) is renamed to DEST, so DEST
either does not exist or is complete. DEST's folder is created only once the server
answers with the file, so a download refused outright (a 404, no network, too little
disk space) leaves no empty folder behind. Standard library HTTP only (urllib).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

CHUNK = 1 << 20
# Kept free besides the file itself: a full disk breaks more than this download.
DISK_RESERVE = 64 << 20


class DownloadError(Exception):
    """A download failed; the message is one line meant for the user."""


class ProgressBar(Protocol):
    """What download reports progress to; a tqdm bar is one."""

    def update(self, n: int) -> object: ...

    def close(self) -> object: ...


@dataclass
class DownloadResult:
    path: Path
    sha256: str
    size: int
    resumed_from: int


def sha256_of(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def _meta_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _write_meta(part: Path, etag: str, url: str) -> None:
    """Replace the .part's metadata whole, so that a crash never leaves half a JSON file."""
    meta = _meta_path(part)
    fd, temporary = tempfile.mkstemp(dir=meta.parent, prefix=meta.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps({"etag": etag, "url": url}))
        os.replace(temporary, meta)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read_etag(part: Path) -> str | None:
    try:
        return json.loads(_meta_path(part).read_text()).get("etag")
    except (OSError, ValueError):
        return None


def _total_from(response, offset: int) -> int | None:
    """The full file size from Content-Range (a 206) or Content-Length (a 200)."""
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return offset + int(length) if length is not None else None


def _open(url: str, offset: int, etag: str | None, timeout: float):
    headers = {"User-Agent": "infill-models/1"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if etag:
            headers["If-Range"] = etag
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return exc  # the .part may already be complete: the caller checks
        raise DownloadError(f"download failed: HTTP {exc.code} {exc.reason} for {url}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise DownloadError(f"cannot reach {urllib.parse.urlparse(url).netloc}: {reason} (no network?)") from None
    except TimeoutError:
        raise DownloadError(f"download timed out connecting to {url}") from None


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_disk_space(folder: Path, needed: int) -> None:
    """folder may not exist yet: it will be made on its nearest existing parent's disk."""
    free = shutil.disk_usage(_nearest_existing(folder)).free
    if needed + DISK_RESERVE > free:
        raise DownloadError(f"not enough disk space in {folder}: need {needed / 1e9:.2f} GB, {free / 1e9:.2f} GB free")


def download(
    url: str,
    dest: Path,
    expected_sha256: str | None = None,
    progress_factory: Callable[[int | None, int], ProgressBar] | None = None,
    timeout: float = 30.0,
) -> DownloadResult:
    """Fetch url into dest. progress_factory(total, initial) returns an object with
    update(n) and close() (a tqdm bar); None for no progress display."""
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    response = _open(url, offset, _read_etag(part), timeout)

    if response.status == 416:
        # Range not satisfiable: the .part holds the whole file (or is longer than it).
        total = _total_from(response, 0)
        response.close()
        if total is not None and total != offset:
            part.unlink()
            return download(url, dest, expected_sha256, progress_factory, timeout)
    elif offset and response.status != 206:
        offset = 0  # no range support, or the file changed upstream (If-Range): start over
    total = _total_from(response, offset) if response.status != 416 else offset
    if total is not None:
        check_disk_space(dest.parent, total - offset)
    dest.parent.mkdir(parents=True, exist_ok=True)  # the server has the file: now it needs a place
    etag = response.headers.get("ETag")
    if etag:
        _write_meta(part, etag, url)

    digest = hashlib.sha256()
    if offset:
        with part.open("rb") as f:  # the hash covers the bytes already there
            while block := f.read(CHUNK):
                digest.update(block)
    bar = progress_factory(total, offset) if progress_factory else None
    written = offset
    try:
        if response.status != 416:
            with part.open("r+b" if offset else "wb") as out:
                out.seek(offset)
                out.truncate()
                while True:
                    try:
                        block = response.read(CHUNK)
                    except (TimeoutError, ConnectionError) as exc:
                        raise DownloadError(
                            f"download interrupted after {written / 1e6:.1f} MB ({exc}); "
                            "run the same command again to resume"
                        ) from None
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    written += len(block)
                    if bar is not None:
                        bar.update(len(block))
            response.close()
    finally:
        if bar is not None:
            bar.close()

    if total is not None and written != total:
        raise DownloadError(
            f"download incomplete: got {written} of {total} bytes; run the same command again to resume"
        )
    actual = digest.hexdigest()
    if expected_sha256 and actual != expected_sha256.lower():
        part.unlink(missing_ok=True)
        _meta_path(part).unlink(missing_ok=True)
        raise DownloadError(
            f"checksum mismatch for {dest.name}: expected {expected_sha256}, got {actual}; the download was deleted"
        )
    os.replace(part, dest)  # atomic: dest is never a partial file
    _meta_path(part).unlink(missing_ok=True)
    return DownloadResult(dest, actual, written, offset)
