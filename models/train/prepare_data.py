"""Collect the training corpus: permissively licensed Python source present on this machine.

Sources:
  * the Python standard library (PSF licence), minus its test suites and minus the
    held-out files listed in heldout_files.txt;
  * the installed packages in PACKAGES below, each with the licence its metadata declares
    (the script checks the metadata and refuses a package whose licence does not match).

Writes OUT/corpus.jsonl (one {"source", "path", "text"} per file) and OUT/stats.json.
Usage: python models/train/prepare_data.py [--out models/train/.data]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import json
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent

# distribution name -> (import directories, expected licence text found in its metadata)
PACKAGES = {
    "attrs": (["attr", "attrs"], "MIT"),
    "cattrs": (["cattrs", "cattr"], "MIT"),
    "lsprotocol": (["lsprotocol"], "MIT"),
    "pygls": (["pygls"], "Apache-2.0"),
    "Jinja2": (["jinja2"], "BSD"),
    "MarkupSafe": (["markupsafe"], "BSD-3-Clause"),
    "numpy": (["numpy"], "BSD-3-Clause"),
    "networkx": (["networkx"], "BSD-3-Clause"),
    "pluggy": (["pluggy"], "MIT"),
    "pytest": (["_pytest", "pytest"], "MIT"),
    "requests": (["requests"], "Apache"),
    "urllib3": (["urllib3"], "MIT"),
    "idna": (["idna"], "BSD-3-Clause"),
    "packaging": (["packaging"], "Apache-2.0 OR BSD-2-Clause"),
    "platformdirs": (["platformdirs"], "MIT"),
    "filelock": (["filelock"], "MIT"),
    "fsspec": (["fsspec"], "BSD-3-Clause"),
    "diskcache": (["diskcache"], "Apache"),
    "watchdog": (["watchdog"], "Apache"),
    "PyYAML": (["yaml"], "MIT"),
}

# Standard-library directories that are test suites or bundled data, not everyday code.
STDLIB_SKIP = {"test", "idlelib", "lib2to3", "site-packages", "config-3.11-x86_64-linux-gnu",
               "__pycache__", "turtledemo", "tkinter", "ensurepip", "pydoc_data", "encodings"}


def read_heldout() -> list[str]:
    lines = (HERE / "heldout_files.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def licence_of(dist: str) -> str:
    meta = md.metadata(dist)
    parts = [meta.get("License-Expression") or "", meta.get("License") or ""]
    parts += [c for c in (meta.get_all("Classifier") or []) if c.startswith("License")]
    return " | ".join(p for p in parts if p)


def usable(text: str) -> bool:
    """Skip generated tables and data dumps: very long lines or huge files."""
    if not text.strip() or len(text) > 400_000:
        return False
    lines = text.splitlines()
    return max(len(ln) for ln in lines) < 400 and len(text) / len(lines) < 80


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=HERE / ".data")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    purelib = Path(sysconfig.get_paths()["purelib"])
    heldout = read_heldout()
    heldout_hashes = {hashlib.sha1((stdlib / p).read_bytes()).hexdigest() for p in heldout}

    files: list[tuple[str, Path, Path]] = []  # (source, root, file)
    for f in sorted(stdlib.rglob("*.py")):
        rel = f.relative_to(stdlib)
        if rel.parts[0] in STDLIB_SKIP or "tests" in rel.parts or str(rel) in heldout:
            continue
        files.append(("stdlib (PSF-2.0)", stdlib, f))
    licences = {}
    skipped = {}
    for dist, (dirs, expected) in PACKAGES.items():
        try:
            lic = licence_of(dist)
        except md.PackageNotFoundError:
            # Not installed in this environment: train without it, and say so in stats.json.
            skipped[dist] = "not installed"
            print(f"skipping {dist}: not installed", flush=True)
            continue
        if expected.lower() not in lic.lower():
            raise SystemExit(f"{dist}: licence {lic!r} does not match expected {expected!r}")
        licences[dist] = f"{md.version(dist)}: {lic}"
        for d in dirs:
            for f in sorted((purelib / d).rglob("*.py")) if (purelib / d).is_dir() else []:
                rel = f.relative_to(purelib)
                if "tests" in rel.parts or "testing" in rel.parts:
                    continue
                files.append((f"{dist} ({expected})", purelib, f))

    seen = set(heldout_hashes)
    n_bytes = n_files = 0
    per_source: dict[str, int] = {}
    with open(args.out / "corpus.jsonl", "w") as out:
        for source, root, f in files:
            raw = f.read_bytes()
            digest = hashlib.sha1(raw).hexdigest()
            if digest in seen:  # exact duplicates (and copies of held-out files) are dropped
                continue
            seen.add(digest)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if not usable(text):
                continue
            out.write(json.dumps({"source": source, "path": str(f.relative_to(root)), "text": text}) + "\n")
            n_bytes += len(raw)
            n_files += 1
            per_source[source] = per_source.get(source, 0) + len(raw)
    stats = {"files": n_files, "bytes": n_bytes, "bytes_per_source": per_source,
             "package_licences": licences, "packages_skipped": skipped, "heldout": heldout}
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps({k: v for k, v in stats.items() if k != "heldout"}, indent=2))


if __name__ == "__main__":
    main()
