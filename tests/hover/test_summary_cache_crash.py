"""The summary cache file under SIGKILL and concurrent writers: it always loads, holding the
previous version or the new one, never a truncated or spliced file; and it is user-only."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from summary_writer import summary_for
from waiting import size_of, wait_until

from lsp_server.hover import SummaryCache
from lsp_server.hover.summary_cache import STALE_TEMPORARY_SECONDS

REPO = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("summary_writer.py")
ROUNDS = 8
WRITES_PER_WRITER = 60


class Writers:
    """`count` summary_writer.py processes, each started a few rounds before its turn so that its
    imports are done when it is told to write; all of them are killed at the end of the test."""

    AHEAD = 3

    def __init__(self, path: Path, count: int):
        self.path = path
        self._to_spawn = count
        self._started: list[subprocess.Popen] = []
        self._ready = [self._spawn() for _ in range(min(self.AHEAD, count))]

    def start(self, key: str, first_number: int) -> subprocess.Popen:
        writer = self._ready.pop(0)
        assert writer.stdin is not None, "writers are started with stdin piped"
        writer.stdin.write(f"{key} {first_number}\n".encode())
        writer.stdin.flush()
        if self._to_spawn:
            self._ready.append(self._spawn())
        return writer

    def _spawn(self) -> subprocess.Popen:
        self._to_spawn -= 1
        writer = subprocess.Popen(
            [sys.executable, str(WRITER), str(self.path)], cwd=REPO, stdin=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._started.append(writer)
        return writer

    def close(self) -> None:
        for writer in self._started:
            writer.kill()
            writer.communicate(timeout=10)


@pytest.fixture
def writers(tmp_path):
    started = Writers(tmp_path / "summaries.json", count=ROUNDS)
    yield started
    started.close()


def kill(writer: subprocess.Popen) -> None:
    assert writer.poll() is None, writer.communicate(timeout=10)[1].decode()
    writer.send_signal(signal.SIGKILL)
    writer.communicate(timeout=10)


def load_strictly(path: Path) -> dict[str, str]:
    """The file as JSON, failing on any damage (SummaryCache itself ignores a damaged file)."""
    data = json.loads(path.read_bytes())
    assert isinstance(data, dict)
    for key, summary in data.items():
        assert summary == summary_for(key), f"entry {key} is damaged"
    return data


def numbers_by_writer(data: dict[str, str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for key in data:
        match = re.fullmatch(r"(\w+)-(\d+)", key)
        assert match, key
        found.setdefault(match[1], []).append(int(match[2]))
    return {writer: sorted(numbers) for writer, numbers in found.items()}


def test_a_writer_killed_at_random_moments_leaves_the_previous_or_the_new_version(writers):
    path = writers.path
    moments = random.Random(7)
    count = 0
    for _ in range(ROUNDS):
        size_before = size_of(path)
        writer = writers.start("k", count)
        # Each write adds one entry, so the file grows: once it has, the writer is mid-loop.
        wait_until(lambda: size_of(path) > size_before, 15, "the writer's first write")  # noqa: B023
        time.sleep(moments.uniform(0, 0.05))
        kill(writer)
        numbers = numbers_by_writer(load_strictly(path))["k"]
        assert numbers == list(range(len(numbers))), "the file is one whole version of the cache"
        assert len(numbers) > count, "the last complete write is kept"
        count = len(numbers)
        assert len(SummaryCache(path)) == count
    assert count > ROUNDS


def test_two_caches_writing_one_file_never_show_a_reader_a_spliced_file(tmp_path):
    """Two servers on the same workspace share its summary cache file, and a third may be
    starting and reading it: every read sees one whole version."""
    path = tmp_path / "summaries.json"
    # A cache of some size, so that each write takes long enough for the writes to overlap.
    path.write_text(json.dumps({f"p-{number}": summary_for(f"p-{number}") for number in range(2000)}))
    writing_done = threading.Event()
    damaged: list[str] = []
    reads = 0

    def write(key: str) -> None:
        cache = SummaryCache(path, capacity=1_000_000)
        for number in range(WRITES_PER_WRITER):
            cache.put(f"{key}-{number}", summary_for(f"{key}-{number}"))

    def read() -> None:
        nonlocal reads
        while not writing_done.is_set():
            try:
                load_strictly(path)
            except (ValueError, AssertionError) as error:
                damaged.append(str(error)[:80])
            reads += 1

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(key,)) for key in ("a", "b")]
    reader.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    writing_done.set()
    reader.join(timeout=10)
    assert reads > 0 and not damaged, f"{len(damaged)} of {reads} reads saw a damaged file: {damaged[:3]}"
    final = numbers_by_writer(load_strictly(path))
    assert final["p"] == list(range(2000))
    # Each write holds one writer's whole view: its own entries, all of them.
    assert WRITES_PER_WRITER in (len(final.get("a", [])), len(final.get("b", [])))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summaries.json"]  # no temporary left


def test_temporary_files_left_by_killed_writers_are_removed_once_stale(tmp_path):
    path = tmp_path / "summaries.json"
    SummaryCache(path).put("h", "Returns h.")
    stale, fresh = tmp_path / "summaries.json.dead.tmp", tmp_path / "summaries.json.busy.tmp"
    stale.write_text('{"half')
    fresh.write_text('{"half')
    old = time.time() - STALE_TEMPORARY_SECONDS - 60
    os.utime(stale, (old, old))
    other = tmp_path / "other.json.dead.tmp"  # another file's temporary: not this cache's
    other.write_text("{}")
    os.utime(other, (old, old))

    assert SummaryCache(path).get("h") == "Returns h."
    assert not stale.exists()
    assert fresh.exists(), "a temporary file this recent may be another process's write in progress"
    assert other.exists()


@pytest.fixture
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True, ids=["umask 022", "umask 000"])
def test_the_cache_file_and_its_new_folders_are_user_only(tmp_path, umask):
    path = tmp_path / "cache" / "infill" / "summaries.json"
    cache = SummaryCache(path)
    cache.put("h1", "Returns one.")
    cache.put("h2", "Returns two.")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in path.parent.iterdir()) == ["summaries.json"]  # no temporary left


def test_an_existing_folder_keeps_its_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    SummaryCache(folder / "summaries.json").put("h", "Returns h.")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # not created by the cache: not its to change
    assert stat.S_IMODE((folder / "summaries.json").stat().st_mode) == 0o600
