"""The repositories `infill bench context --corpus` measures on, fetched from package registries.

Each source is a published package that ships source code: Python wheels from PyPI
(`pip download`), TypeScript/JavaScript packages from npm (`npm pack`), and Debian packages
that ship Go, Java, Rust and C sources (`apt-get download`, unpacked with `dpkg-deb`). Versions
are pinned so that a run measures the same code every time. Everything lands under
`bench/.cache/context/` (ignored by git): a source is fetched once, and a later run finds it
there. A source whose download fails is skipped with a one-line message; the others still run.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

CACHE = Path(__file__).resolve().parent / ".cache" / "context"
DOWNLOAD_TIMEOUT_S = 600


@dataclass(frozen=True)
class Source:
    name: str  # shown in the table
    language: str  # the language the samples are taken in
    registry: str  # "pypi", "npm" or "deb"
    package: str  # what the registry's client is asked for: "httpx==0.28.1", "rxjs@7.8.1", a Debian package
    root: str  # the folder inside the unpacked package that becomes the workspace
    archive: str = ""  # a zip inside the package that holds `root` (the JDK's src.zip)
    style: str = ""  # what kind of code it is, for the reader of the table


CORPUS: tuple[Source, ...] = (
    # Python: different styles of package.
    Source("click", "python", "pypi", "click==8.1.7", "click", style="CLI library: classes, decorators"),
    Source("requests", "python", "pypi", "requests==2.32.3", "requests", style="relative imports, module attributes"),
    Source("httpx", "python", "pypi", "httpx==0.28.1", "httpx", style="private modules, __init__ re-exports, aliases"),
    Source("attrs", "python", "pypi", "attrs==24.2.0", "attr", style="one large module, plain functions"),
    Source("cattrs", "python", "pypi", "cattrs==24.1.2", "cattrs", style="heavy typing, subpackages"),
    Source("rich", "python", "pypi", "rich==13.9.4", "rich", style="many classes, relative imports"),
    Source("starlette", "python", "pypi", "starlette==0.41.3", "starlette", style="ASGI framework, typing"),
    Source("pygls", "python", "pypi", "pygls==1.3.1", "pygls", style="classes, protocol types"),
    # Python packages added after the defaults were set, and not tuned on: a check that the
    # figures above are not fitted to the packages they come from.
    Source("jinja2", "python", "pypi", "jinja2==3.1.6", "jinja2", style="held out: template engine"),
    Source("anyio", "python", "pypi", "anyio==4.16.0", "anyio", style="held out: async backends"),
    Source("h11", "python", "pypi", "h11==0.16.0", "h11", style="held out: small protocol library"),
    Source("markdown-it", "python", "pypi", "markdown-it-py==4.3.0", "markdown_it", style="held out: parser"),
    Source("pytest", "python", "pypi", "pytest==9.2.0", "_pytest", style="held out: large, plugins"),
    Source("urllib3", "python", "pypi", "urllib3==2.8.0", "urllib3", style="held out: HTTP client"),
    Source("fastapi", "python", "pypi", "fastapi==0.165.0", "fastapi", style="held out: web framework"),
    Source("pluggy", "python", "pypi", "pluggy==1.7.0", "pluggy", style="held out: plugin hooks"),
    # TypeScript and JavaScript: packages that publish their sources.
    Source("rxjs", "typescript", "npm", "rxjs@7.8.1", "package/src", style="index re-exports, many small modules"),
    Source("query-core", "typescript", "npm", "@tanstack/query-core@5.59.0", "package/src", style="classes, types"),
    Source("axios", "javascript", "npm", "axios@1.7.7", "package/lib", style="ES modules, default exports, .js paths"),
    Source("preact", "javascript", "npm", "preact@10.24.3", "package/src", style="ES modules, JSDoc"),
    # Go: libraries packaged by Debian (sources with go.mod) and a package of the standard library.
    Source(
        "testify", "go", "deb", "golang-github-stretchr-testify-dev", "usr/share/gocode/src/github.com/stretchr/testify"
    ),
    Source("go-cmp", "go", "deb", "golang-github-google-go-cmp-dev", "usr/share/gocode/src/github.com/google/go-cmp"),
    Source("cobra", "go", "deb", "golang-github-spf13-cobra-dev", "usr/share/gocode/src/github.com/spf13/cobra"),
    Source("go net/http", "go", "deb", "golang-1.19-src", "usr/share/go-1.19/src/net/http"),
    # Java: the JDK's own sources.
    Source(
        "java.util.concurrent",
        "java",
        "deb",
        "openjdk-17-source",
        "java.base/java/util/concurrent",
        archive="usr/lib/jvm/openjdk-17/lib/src.zip",
    ),
    Source(
        "java.net.http",
        "java",
        "deb",
        "openjdk-17-source",
        "java.net.http",
        archive="usr/lib/jvm/openjdk-17/lib/src.zip",
    ),
    # Rust: the standard library's sources.
    Source("rust alloc", "rust", "deb", "rust-src", "usr/src/rustc-1.63.0/library/alloc/src"),
    Source("rust test", "rust", "deb", "rust-src", "usr/src/rustc-1.63.0/library/test/src"),
    # C: Debian packages that ship a project's C sources.
    Source("libxcrypt", "c", "deb", "libxcrypt-source", "usr/src/libxcrypt/lib"),
    Source("uwsgi", "c", "deb", "uwsgi-src", "usr/src/uwsgi"),
)


class FetchError(Exception):
    """A source could not be fetched (no network, a registry error, a missing tool)."""


def _run(command: list[str], cwd: Path) -> None:
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise FetchError(f"{command[0]}: {error}") from error
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise FetchError(f"{' '.join(command[:3])} failed: {last[0]}")


def _download(source: Source, folder: Path) -> Path:
    """The package file as the registry's client downloads it (kept in the cache, one folder
    per package, so that the file found is the one asked for)."""
    folder.mkdir(parents=True, exist_ok=True)
    if source.registry == "pypi":
        pattern = "*.whl"
        if not list(folder.glob(pattern)):
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary",
                    ":all:",
                    "-d",
                    ".",
                    source.package,
                ],
                folder,
            )
    elif source.registry == "npm":
        pattern = "*.tgz"
        if not list(folder.glob(pattern)):
            _run(["npm", "pack", "--silent", source.package], folder)
    else:
        pattern = f"{source.package}_*.deb"
        if not list(folder.glob(pattern)):
            _run(["apt-get", "download", source.package], folder)
    found = sorted(folder.glob(pattern))
    if not found:
        raise FetchError(f"{source.package}: the download left no {pattern}")
    return found[-1]


def _members(names: list[str], prefix: str) -> list[str]:
    prefix = prefix.strip("/") + "/"
    return [name for name in names if name.lstrip("./").startswith(prefix) and not name.endswith("/")]


def _unpack_zip(data: zipfile.ZipFile, prefix: str, target: Path) -> int:
    count = 0
    for name in _members(data.namelist(), prefix):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data.read(name))
        count += 1
    return count


def _unpack_tar(stream: tarfile.TarFile, prefix: str, target: Path) -> int:
    count = 0
    wanted = prefix.strip("/") + "/"
    for member in stream:
        name = member.name.lstrip("./")
        if not member.isfile() or not name.startswith(wanted):
            continue
        handle = stream.extractfile(member)
        if handle is None:
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(handle.read())
        count += 1
    return count


def _unpack(source: Source, package: Path, target: Path) -> None:
    """Only the files under the source's root (or the archive holding it) are written."""
    if source.registry == "pypi":
        with zipfile.ZipFile(package) as wheel:
            count = _unpack_zip(wheel, source.root, target)
    elif source.registry == "npm":
        with tarfile.open(package, "r:gz") as tgz:
            count = _unpack_tar(tgz, source.root, target)
    else:
        try:
            contents = subprocess.run(
                ["dpkg-deb", "--fsys-tarfile", str(package)],
                capture_output=True,
                check=True,
                timeout=DOWNLOAD_TIMEOUT_S,
            ).stdout
        except (OSError, subprocess.SubprocessError) as error:
            raise FetchError(f"dpkg-deb: {error}") from error
        with tarfile.open(fileobj=io.BytesIO(contents), mode="r|*") as tar:
            if source.archive:
                inner = next((m for m in tar if m.name.lstrip("./") == source.archive), None)
                handle = tar.extractfile(inner) if inner is not None else None
                if handle is None:
                    raise FetchError(f"{source.package} has no {source.archive}")
                with zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
                    count = _unpack_zip(archive, source.root, target)
            else:
                count = _unpack_tar(tar, source.root, target)
    if not count:
        raise FetchError(f"{source.package} has no files under {source.root}")


def prepare(source: Source, cache: Path = CACHE) -> Path:
    """The workspace folder of a source, fetched and unpacked on first use."""
    slug = source.name.replace(" ", "-").replace("/", "-")
    target = cache / "src" / slug
    workspace = target / source.root
    if (target / ".complete").exists():
        return workspace
    package = _download(source, cache / "downloads" / source.package.replace("/", "_"))
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    _unpack(source, package, target)
    (target / ".complete").write_text(package.name + "\n")
    return workspace


def fetched_version(source: Source, cache: Path = CACHE) -> str:
    """The version a prepared source was fetched at: pinned for PyPI and npm, and for Debian
    what the archive had that day (`openjdk-17-source_17.0.19+10-1~deb12u2_all.deb` ->
    17.0.19+10-1~deb12u2); "" when unknown."""
    slug = source.name.replace(" ", "-").replace("/", "-")
    try:
        fetched = (cache / "src" / slug / ".complete").read_text().strip()
    except OSError:
        return ""
    if source.registry != "deb":
        return source.package
    parts = fetched.split("_")
    return unquote(parts[1]) if len(parts) == 3 and fetched.endswith(".deb") else ""


def available(sources: tuple[Source, ...] = CORPUS, cache: Path = CACHE) -> list[tuple[Source, Path]]:
    """The sources that could be prepared, each with its workspace; failures are reported and skipped."""
    ready: list[tuple[Source, Path]] = []
    for source in sources:
        try:
            ready.append((source, prepare(source, cache)))
        except FetchError as error:
            print(f"skipping {source.name} ({source.registry} {source.package}): {error}", file=sys.stderr)
    return ready


if __name__ == "__main__":
    for found_source, path in available():
        print(f"{found_source.name:<22} {found_source.language:<11} {path}")
