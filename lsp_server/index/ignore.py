"""Which paths the index leaves alone: .gitignore / .infillignore rules and vendored folders.

Ignore files use gitignore syntax and apply to the folder they sit in and below; a rule in a
deeper file or later in the same file wins, and `!pattern` re-includes. `.infillignore` is read
after `.gitignore` in the same folder, so it can override it (`!build/` indexes a build folder).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

IGNORE_FILE_NAMES = (".gitignore", ".infillignore")

# Folders that hold dependencies, build outputs or caches rather than the user's code.
# Hidden folders (.git, .venv, .tox, .mypy_cache, ...) are skipped as a group.
SKIPPED_FOLDER_NAMES = frozenset(
    {
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "__pycache__",
        "site-packages",
        "venv",
        "build",
        "dist",
        "out",
        "target",
        "_build",
        "cmake-build-debug",
        "cmake-build-release",
        "coverage",
        "htmlcov",
    }
)
SKIPPED_FILE_SUFFIXES = (".min.js", ".min.mjs", ".bundle.js", "-min.js")


def is_skipped_folder_name(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDER_NAMES


def is_skipped_folder(path: Path) -> bool:
    if is_skipped_folder_name(path.name):
        return True
    return (path / "pyvenv.cfg").exists()  # a virtual environment under any name


def is_skipped_file_name(name: str) -> bool:
    return name.endswith(SKIPPED_FILE_SUFFIXES)


@dataclass(frozen=True)
class IgnorePattern:
    regex: re.Pattern[str]
    negated: bool
    folders_only: bool

    def matches(self, relative_path: str, is_folder: bool) -> bool:
        if self.folders_only and not is_folder:
            return False
        return self.regex.match(relative_path) is not None


def parse_ignore_file(text: str) -> list[IgnorePattern]:
    patterns = []
    for line in text.splitlines():
        pattern = compile_pattern(line)
        if pattern is not None:
            patterns.append(pattern)
    return patterns


def compile_pattern(line: str) -> IgnorePattern | None:
    """One gitignore line -> a pattern matched against a path relative to the ignore file's folder."""
    if line.endswith("\\ "):
        line = line[:-2].rstrip() + "\\ "  # an escaped trailing space is kept
    else:
        line = line.rstrip()
    if not line or line.startswith("#"):
        return None
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    elif line.startswith("\\"):  # \# and \! start a literal pattern
        line = line[1:] if line[1:2] in ("#", "!") else line
    folders_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    # A slash at the start or in the middle anchors the pattern to the ignore file's folder;
    # otherwise it matches a name at any depth.
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    prefix = "" if anchored or line.startswith("**/") else "(?:.*/)?"
    return IgnorePattern(re.compile(f"{prefix}{body}$", re.DOTALL), negated, folders_only)


def _translate(glob: str) -> str:
    regex = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            regex.append("(?:.*/)?")
            index += 3
            continue
        if glob.startswith("/**", index) and index + 3 == len(glob):
            regex.append("/.*")
            index += 3
            continue
        if glob.startswith("**", index):
            regex.append(".*")
            index += 2
            continue
        if char == "*":
            regex.append("[^/]*")
        elif char == "?":
            regex.append("[^/]")
        elif char == "\\" and index + 1 < len(glob):
            index += 1
            regex.append(re.escape(glob[index]))
        elif char == "[":
            end = glob.find("]", index + 2)
            if end == -1:
                regex.append(re.escape(char))
            else:
                members = glob[index + 1 : end]
                if members.startswith("!"):
                    members = "^" + members[1:]
                regex.append(f"[{members.replace(chr(92), chr(92) * 2)}]")
                index = end
        else:
            regex.append(re.escape(char))
        index += 1
    return "".join(regex)


class IgnoreRules:
    """The ignore files of one workspace root, read lazily per folder and cached.

    `is_ignored(path)` answers for any path under the root, checking its folders too, so a file
    event inside an ignored folder is ignored. The walker uses `patterns_for` directly, folder
    by folder, which is cheaper.
    """

    def __init__(self, root: Path):
        self.root = root
        self._patterns_by_folder: dict[Path, list[IgnorePattern]] = {}

    def forget(self, folder: Path) -> None:
        """An ignore file in this folder changed: read it again next time."""
        self._patterns_by_folder.pop(folder, None)

    def patterns_for(self, folder: Path) -> list[IgnorePattern]:
        patterns = self._patterns_by_folder.get(folder)
        if patterns is None:
            patterns = []
            sources = [folder / name for name in IGNORE_FILE_NAMES]
            if folder == self.root:
                sources.insert(0, folder / ".git" / "info" / "exclude")
            for source in sources:
                try:
                    patterns.extend(parse_ignore_file(source.read_text(encoding="utf-8", errors="replace")))
                except FileNotFoundError:
                    pass
                except OSError as error:
                    log.warning("cannot read %s: %s", source, error)
            self._patterns_by_folder[folder] = patterns
        return patterns

    def is_ignored_in(self, folder_chain: list[tuple[Path, list[IgnorePattern]]], path: Path, is_folder: bool) -> bool:
        """Apply the patterns of each folder from the root down; the last match decides."""
        ignored = False
        for folder, patterns in folder_chain:
            if not patterns:
                continue
            relative = path.relative_to(folder).as_posix()
            for pattern in patterns:
                if pattern.matches(relative, is_folder):
                    ignored = not pattern.negated
        return ignored

    def is_ignored(self, path: Path) -> bool:
        """Is this path (file or folder) under the root ignored, by a rule or a skipped folder?"""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return True  # outside the workspace
        chain = [(self.root, self.patterns_for(self.root))]
        current = self.root
        for index, part in enumerate(parts):
            current = current / part
            is_last = index == len(parts) - 1
            is_folder = not is_last or current.is_dir()
            if is_folder and is_skipped_folder(current):
                return True
            if not is_folder and is_skipped_file_name(part):
                return True
            if self.is_ignored_in(chain, current, is_folder):
                return True
            if is_folder and not is_last:
                chain.append((current, self.patterns_for(current)))
        return False
