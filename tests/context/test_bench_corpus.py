"""The context benchmark's corpus: which version of a source was measured."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _context_corpus import Source, fetched_version


def _prepared(cache: Path, name: str, fetched: str) -> None:
    marker = cache / "src" / name / ".complete"
    marker.parent.mkdir(parents=True)
    marker.write_text(fetched + "\n")


def test_a_debian_source_reports_the_version_the_archive_had(tmp_path):
    jdk = Source("java.net.http", "java", "deb", "openjdk-17-source", "java.net.http")
    _prepared(tmp_path, "java.net.http", "openjdk-17-source_17.0.19+10-1~deb12u2_all.deb")
    assert fetched_version(jdk, tmp_path) == "17.0.19+10-1~deb12u2"
    crypt = Source("libxcrypt", "c", "deb", "libxcrypt-source", "usr/src/libxcrypt/lib")
    _prepared(tmp_path, "libxcrypt", "libxcrypt-source_1%3a4.4.33-2_all.deb")
    assert fetched_version(crypt, tmp_path) == "1:4.4.33-2"  # the epoch, as apt writes it in file names


def test_a_pinned_source_reports_its_pin_and_an_unprepared_one_nothing(tmp_path):
    click = Source("click", "python", "pypi", "click==8.1.7", "click")
    _prepared(tmp_path, "click", "click-8.1.7-py3-none-any.whl")
    assert fetched_version(click, tmp_path) == "click==8.1.7"
    assert fetched_version(Source("go net/http", "go", "deb", "golang-1.19-src", "x"), tmp_path) == ""
