"""Gathering the cross-file context for one cursor, within a token and a time budget.

Candidates, from most to least useful in general:
1. `base.` right before the cursor: the outline of module `base`, or class `base` with its members;
2. definitions of the names used near the cursor (the last ~30 lines and the cursor's line),
   resolved through the file's imports, then by name across the workspace;
3. definitions of the file's other imports, those used most in the file first, and outlines of
   imported modules;
4. recently edited or opened ranges (`RecentEdits`);
5. chunks of related files (imported files, recent files, files in the same folder) whose
   identifiers resemble the code before the cursor.
The steps run in that order and each checks the clock: past the time budget, what is ready is
ranked and returned. `ranking.select_snippets` then drops overlaps and fills the token budget.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..index import FileEntry, Symbol, WorkspaceIndex
from .identifiers import (
    ATTRIBUTE,
    IDENTIFIER,
    attribute_before_cursor,
    names_near,
    token_set,
)
from .ranking import select_snippets
from .recent import RecentEdits
from .resolve import Resolver
from .similar import ChunkTokens, similar_chunks
from .snippets import (
    Snippet,
    SourceLines,
    definition_snippet,
    outline_snippet,
    relative_path,
)

log = logging.getLogger(__name__)

LINES_BEFORE = 30  # lines before the cursor whose names are resolved
SIMILARITY_LINES = 12  # lines before the cursor that form the similarity query
USAGE_CHARS = 20_000  # text before the cursor in which imported names' uses are counted
MAX_SIBLING_FILES = 24  # files of the cursor's folder searched for similar chunks
# The part of the current file the prompt shows itself, when the caller does not say.
DEFAULT_WINDOW_BEFORE, DEFAULT_WINDOW_AFTER = 100, 30

# Scores: the order of usefulness described in the module docstring.
SCORE_ATTRIBUTE_TARGET = 4.0
SCORE_NEAR_NAME = 2.0  # + closeness weight (0..1)
# Resolved by name only, not through an import: trusted less in languages whose imports are
# resolved (there, a name that no import binds is mostly a local variable or an attribute).
SCORE_FALLBACK_FACTOR = {"python": 0.35, "javascript": 0.35, "typescript": 0.35, "tsx": 0.35}
SCORE_FALLBACK_DEFAULT = 0.6
SCORE_IMPORTED = 1.0  # + up to 0.9 for names used often in the file
SCORE_MODULE_OUTLINE = 0.9
SCORE_RECENT = 0.8
SCORE_SIMILAR = 0.5  # + similarity


@dataclass
class ContextResult:
    snippets: list[Snippet]  # most useful first
    elapsed_ms: float
    tokens: int = 0  # budget used, headers included
    timed_out: bool = False  # the time budget ran out before every step ran
    candidates: int = 0
    steps: list[str] = field(default_factory=list)  # steps that ran, for the debug log


class _Clock:
    def __init__(self, budget_ms: float):
        self.started = time.perf_counter()
        self.deadline = self.started + budget_ms / 1000

    def expired(self) -> bool:
        return time.perf_counter() >= self.deadline

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class ContextRetriever:
    """Context gathering for one workspace index, with caches that live between requests
    (module resolution, file lines, chunk token sets). One instance per index; calls must not
    overlap (the completion service runs them on its model thread)."""

    def __init__(self, index: WorkspaceIndex):
        self.index = index
        self.resolver = Resolver(index)
        self.sources = SourceLines()
        self.chunk_tokens = ChunkTokens()

    def gather(
        self,
        path: Path,
        text: str,
        offset: int,
        budget_tokens: int,
        count_tokens: Callable[[str], int],
        recent: RecentEdits | None = None,
        time_budget_ms: float = 5.0,
        window_lines: tuple[int, int] | None = None,
    ) -> ContextResult:
        """Snippets for a cursor at `offset` (code points) in `text`, the current content of
        `path`. `window_lines`: first and last line (0-based) of the current file the prompt
        shows anyway; snippets overlapping them are dropped."""
        clock = _Clock(time_budget_ms)
        path = Path(os.path.abspath(path))
        self.resolver.begin({item.path for item in recent.ranges()} if recent is not None else set())
        cursor_line = text.count("\n", 0, offset)
        if window_lines is None:
            window_lines = (max(0, cursor_line - DEFAULT_WINDOW_BEFORE), cursor_line + DEFAULT_WINDOW_AFTER)
        self.resolver.invalidate([path])  # the current file: always as the index has it now
        entry = self.resolver.entry(path)
        found = _Candidates()
        attributes = _attributes_used(text, offset)
        steps: list[str] = []
        for name, step in (
            ("attribute", lambda: self._attribute_at_cursor(entry, text, offset, found, attributes)),
            ("near", lambda: self._names_near_cursor(entry, text, offset, found, clock)),
            ("imports", lambda: self._imported_names(entry, text, offset, found, clock, attributes)),
            ("recent", lambda: self._recent(recent, found)),
            ("similar", lambda: self._similar(entry, path, text, offset, found, recent, clock)),
        ):
            if clock.expired():
                break
            try:
                step()
            except Exception:  # a bug in one step must not cost the user the completion
                log.exception("context step %s failed", name)
            steps.append(name)
        roots = self.index.roots

        header_costs: dict[Path, int] = {}

        def header_tokens(snippet: Snippet) -> int:
            cost = header_costs.get(snippet.path)
            if cost is None:
                cost = header_costs[snippet.path] = count_tokens(relative_path(snippet.path, roots) + "\n") + 1
            return cost

        chosen = select_snippets(found.snippets, budget_tokens, count_tokens, path, window_lines, header_tokens)
        return ContextResult(
            chosen,
            clock.elapsed_ms(),
            sum(snippet.tokens for snippet in chosen),
            timed_out=len(steps) < 5 or clock.expired(),
            candidates=len(found.snippets),
            steps=steps,
        )

    # --- the steps ---

    def _definition(self, symbol: Symbol, score: float, compact: bool = False) -> Snippet | None:
        entry = self.resolver.entry(symbol.path)
        if entry is None:
            return None
        members = self.resolver.facts(entry).members.get(symbol.qualified_name, [])
        return definition_snippet(symbol, entry, self.sources, score, members, compact)

    def _attribute_at_cursor(
        self, entry: FileEntry | None, text: str, offset: int, found: _Candidates, attributes: dict[str, set[str]]
    ) -> None:
        attribute = attribute_before_cursor(text, offset)
        if entry is None or attribute is None:
            return
        base, _partial = attribute
        item = self.resolver.bindings(entry).get(base)
        if item is not None:
            path, symbol = self.resolver.resolve_import(entry, item)
            if symbol is None and path is not None:
                module = self.resolver.entry(path)
                if module is not None:
                    found.add(
                        outline_snippet(module, SCORE_ATTRIBUTE_TARGET, frozenset(attributes.get(base, ())), limit=200)
                    )
                return
            if symbol is not None:
                found.add(self._definition(symbol, SCORE_ATTRIBUTE_TARGET))
            return
        if base[:1].isupper():
            for symbol in self.resolver.resolve_name(entry, base):
                found.add(self._definition(symbol, SCORE_ATTRIBUTE_TARGET))

    def _names_near_cursor(self, entry, text: str, offset: int, found: _Candidates, clock: _Clock) -> None:
        near = names_near(text, offset, LINES_BEFORE)
        if entry is None:
            for name, weight in near.items():
                if clock.expired():
                    return
                for symbol in self._definitions_by_name(name, None):
                    found.add(self._definition(symbol, (SCORE_NEAR_NAME + weight) * SCORE_FALLBACK_DEFAULT))
            return
        bindings = self.resolver.bindings(entry)
        own = self.resolver.facts(entry).top_level
        # Look names up across the workspace only where imports cannot say where they come
        # from: languages without import resolution here, and files with wildcard imports.
        by_name = entry.language not in SCORE_FALLBACK_FACTOR or any(
            item.name == "*" and not item.alias for item in entry.imports
        )
        # `module.attr` and `Class.attr` pairs near the cursor.
        window_start = max(0, offset - 4000)
        for match in ATTRIBUTE.finditer(text, window_start, offset):
            base, attr = match.group(1), match.group(2)
            if base in bindings and base in near and not clock.expired():
                for symbol in self.resolver.resolve_attribute(entry, base, attr):
                    found.add(self._definition(symbol, SCORE_NEAR_NAME + near[base] * 0.9))
        for name, weight in near.items():
            if clock.expired():
                return
            if name in own:
                continue
            if name in bindings:
                path, imported = self.resolver.resolve_import(entry, bindings[name])
                if imported is not None:
                    found.add(self._definition(imported, SCORE_NEAR_NAME + weight))
                elif path is not None:
                    module = self.resolver.entry(path)
                    if module is not None:
                        found.add(outline_snippet(module, SCORE_MODULE_OUTLINE + weight, limit=24))
            elif weight >= 0.3 and by_name:
                factor = SCORE_FALLBACK_FACTOR.get(entry.language, SCORE_FALLBACK_DEFAULT)
                for symbol in self._definitions_by_name(name, entry):
                    found.add(self._definition(symbol, (SCORE_NEAR_NAME + weight) * factor))

    def _definitions_by_name(self, name: str, entry: FileEntry | None) -> list[Symbol]:
        if entry is not None:
            return self.resolver.resolve_name(entry, name)
        return [s for s in self.index.definitions(name) if s.parent is None][:2]

    def _imported_names(
        self, entry, text: str, offset: int, found: _Candidates, clock: _Clock, attributes: dict[str, set[str]]
    ) -> None:
        if entry is None:
            return
        counts = Counter(IDENTIFIER.findall(text, max(0, offset - USAGE_CHARS), offset))
        bindings = self.resolver.bindings(entry)
        ranked = sorted(bindings, key=lambda name: -counts.get(name, 0))
        top = max(1, max((counts.get(name, 0) for name in ranked), default=1))
        for name in ranked:
            if clock.expired():
                return
            usage = counts.get(name, 0) / top
            path, symbol = self.resolver.resolve_import(entry, bindings[name])
            if symbol is not None:
                found.add(self._definition(symbol, SCORE_IMPORTED + 0.9 * usage, compact=True))
            elif path is not None:
                module = self.resolver.entry(path)
                if module is not None:
                    used = frozenset(attributes.get(name, ()))
                    found.add(outline_snippet(module, SCORE_MODULE_OUTLINE * (0.5 + 0.5 * usage), used, limit=24))

    def _recent(self, recent: RecentEdits | None, found: _Candidates) -> None:
        if recent is None:
            return
        for rank, item in enumerate(recent.ranges()):
            found.add(
                Snippet(
                    item.path,
                    item.start_line,
                    item.end_line,
                    item.text,
                    "recent",
                    SCORE_RECENT * 0.9**rank,
                    item.language,
                )
            )

    def _similar(
        self, entry, path: Path, text: str, offset: int, found: _Candidates, recent: RecentEdits | None, clock: _Clock
    ) -> None:
        start = offset
        for _ in range(SIMILARITY_LINES):
            start = max(0, text.rfind("\n", 0, start))
        query = token_set(text[start:offset])
        if not query:
            return
        entries: list[FileEntry] = [e for e in self.resolver.fetched() if e.path != path]
        related = [r.path for r in recent.ranges()] if recent is not None else []
        related += self._siblings(path)
        for other in related:
            if clock.expired():
                break
            if other != path and all(e.path != other for e in entries):
                other_entry = self.resolver.entry(other)
                if other_entry is not None:
                    entries.append(other_entry)
        for score, chunk in similar_chunks(query, entries, self.chunk_tokens):
            language = entry.language if entry is not None else ""
            found.add(
                Snippet(
                    chunk.path, chunk.start_line, chunk.end_line, chunk.text, "similar", SCORE_SIMILAR + score, language
                )
            )

    def _siblings(self, path: Path) -> list[Path]:
        try:
            names = sorted(os.listdir(path.parent))
        except OSError:
            return []
        suffix = path.suffix
        return [path.parent / name for name in names if name.endswith(suffix)][:MAX_SIBLING_FILES]


_DOTTED = re.compile(r"([A-Za-z_$][\w$]*)\.([A-Za-z_$][\w$]*)")


def _attributes_used(text: str, offset: int) -> dict[str, set[str]]:
    """base -> the attributes used on it (`base.attr`) in the text before the cursor."""
    used: dict[str, set[str]] = {}
    for base, attr in _DOTTED.findall(text, max(0, offset - USAGE_CHARS), offset):
        used.setdefault(base, set()).add(attr)
    return used


class _Candidates:
    """Snippets found so far; one per (path, range, kind), keeping the best score."""

    def __init__(self) -> None:
        self._by_key: dict[tuple, Snippet] = {}

    def add(self, snippet: Snippet | None) -> None:
        if snippet is None:
            return
        key = (snippet.path, snippet.start_line, snippet.end_line, snippet.kind)
        known = self._by_key.get(key)
        if known is None or known.score < snippet.score:
            self._by_key[key] = snippet

    @property
    def snippets(self) -> list[Snippet]:
        return list(self._by_key.values())
