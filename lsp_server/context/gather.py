"""Gathering the cross-file context for one cursor, within a token and a time budget.

Candidates, from most to least useful in general:
1. `base.` right before the cursor: the outline of module `base` (for a Go package, of its
   files), or the members of the class `base` is: a class itself, `self`/`this` (the class
   around the cursor), or a variable whose class the code says (owners.py); with the members
   of the classes it extends;
2. definitions of the names used near the cursor (the last ~30 lines and the cursor's line),
   resolved through the file's imports, what the file sees without importing (its Go or Java
   package, the headers a C file includes), then by name across the workspace;
3. definitions of the file's other imports, those used most in the file first, and outlines of
   imported modules; where names need no import, the package's or headers' names the file uses;
4. recently edited or opened ranges (`RecentEdits`);
5. chunks of related files (imported files, recent files, files in the same folder) whose
   identifiers resemble the code before the cursor.
The steps run in that order and each checks the clock: past the time budget, what is ready is
ranked and returned. `ranking.select_snippets` then drops overlaps and fills the token budget.

The time budget counts the gathering thread's CPU time (`time.thread_time`), not the wall
clock: on a busy machine, time spent waiting for a core or for the interpreter lock is not
gathering, and counting it made the same cursor get fewer snippets the busier the machine
was. A wall-clock cap (`WALL_CAP_MS`, or five times the budget when that is more) still bounds
how long a completion can wait.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from ..index import FileEntry, Symbol, WorkspaceIndex
from .affinity import NameAffinity, Sequels, cursor_words, typed_start
from .identifiers import (
    ATTRIBUTE,
    IDENTIFIER,
    AttributesUsed,
    attribute_before_cursor,
    is_interesting,
    is_word_char,
    last_use,
    names_near,
    token_set,
)
from .owners import SELF_NAMES, CursorFacts, OwnerFinder
from .ranking import select_snippets
from .recent import RecentEdits
from .resolve import CLASS_KINDS, IMPLICIT_SCOPE, Resolver
from .similar import ChunkTokens, similar_chunks
from .snippets import (
    Snippet,
    SourceLines,
    definition_snippet,
    members_snippet,
    name_parts,
    outline_snippet,
    relative_path,
    relevance,
)

log = logging.getLogger(__name__)

LINES_BEFORE = 30  # lines before the cursor whose names are resolved
SIMILARITY_LINES = 12  # lines before the cursor that form the similarity query
USAGE_CHARS = 20_000  # text before the cursor in which imported names' uses are counted
MAX_SIBLING_FILES = 24  # files of the cursor's folder searched for similar chunks
MAX_USED_NAMES = 40  # names used in the file looked up in its package or headers
MAX_MEMBER_FILES = 4  # other files whose members of the current file's type are listed
MAX_REMEMBERED_FILES = 4096  # files whose top-level words are kept between requests
WALL_CAP_MS = 50.0  # the wall-clock limit of one gathering, whatever its CPU time
# The part of the current file the prompt shows itself, when the caller does not say.
DEFAULT_WINDOW_BEFORE, DEFAULT_WINDOW_AFTER = 100, 30

# Scores: the order of usefulness described in the module docstring.
SCORE_ATTRIBUTE_TARGET = 4.0
SCORE_INHERITED = 3.6  # members of the classes the cursor's class extends
SCORE_NEAR_NAME = 2.0  # + closeness weight (0..1)
# Resolved by name only, not through an import: trusted less in languages whose imports are
# resolved (there, a name that no import binds is mostly a local variable or an attribute).
SCORE_FALLBACK_FACTOR = {"python": 0.35, "javascript": 0.35, "typescript": 0.35, "tsx": 0.35}
SCORE_FALLBACK_DEFAULT = 0.6
SCORE_IMPORTED = 1.0  # + up to 0.9 for names used often in the file
SCORE_RECENT_USE = 0.3  # + for an imported name used close above the cursor
SCORE_PENDING = 0.3  # + for an imported name not used yet: the file will use it somewhere
# (+ `affinity.NameAffinity`: up to 3.35 for a name whose words the cursor's line, the
# enclosing definition's head and the lines above use, up to 2 more for one that came next
# where the file wrote the same before)
SCORE_IMPORTED_MAX = 3.4  # below the members of `value.` at the cursor, whatever the words say
SCORE_TYPE_POSITION = 0.9  # + for a class or type alias where the cursor expects a type
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
    cpu_ms: float = 0.0  # the gathering thread's CPU time
    # Every candidate before ranking, when `gather(keep_candidates=True)` asks (benchmarks, debugging).
    considered: list[Snippet] = field(default_factory=list)


class _Clock:
    """The time budget in the gathering thread's CPU time, with a wall-clock cap; and, for
    background work, whether something more urgent waits for the thread (`give_way`)."""

    def __init__(self, budget_ms: float, wall_cap_ms: float | None = None, give_way: Callable[[], bool] | None = None):
        self.started = time.perf_counter()
        self.cpu_started = time.thread_time()
        self.cpu_deadline = self.cpu_started + budget_ms / 1000
        cap = wall_cap_ms if wall_cap_ms is not None else max(WALL_CAP_MS, 5 * budget_ms)
        self.wall_deadline = self.started + cap / 1000
        self.give_way = give_way

    def expired(self) -> bool:
        return (
            time.thread_time() >= self.cpu_deadline
            or time.perf_counter() >= self.wall_deadline
            or (self.give_way is not None and self.give_way())
        )

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def cpu_ms(self) -> float:
        return (time.thread_time() - self.cpu_started) * 1000


class ContextRetriever:
    """Context gathering for one workspace index, with caches that live between requests
    (module resolution, file lines, chunk token sets). One instance per index; calls must not
    overlap (the completion service runs them on its model thread)."""

    def __init__(self, index: WorkspaceIndex):
        self.index = index
        self.resolver = Resolver(index)
        self.sources = SourceLines()
        self.chunk_tokens = ChunkTokens()
        self.owners = OwnerFinder(self.resolver)
        self._used: frozenset[str] = frozenset()  # the names the current file uses, per request
        self._path = Path()  # the current file, per request
        self._typed = ""  # what the user has typed of the name at the cursor, per request
        self._words_of_files: dict[tuple[Path, str], tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}

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
        keep_candidates: bool = False,
        wall_cap_ms: float | None = None,
        give_way: Callable[[], bool] | None = None,
    ) -> ContextResult:
        """Snippets for a cursor at `offset` (code points) in `text`, the current content of
        `path`. `window_lines`: first and last line (0-based) of the current file the prompt
        shows anyway; snippets overlapping them are dropped. `time_budget_ms` is CPU time of
        this thread; `wall_cap_ms` (default: `WALL_CAP_MS` or five budgets) bounds the wait.
        `give_way()`, asked between steps of the work, ends it early when it says True (a
        prefetch's gathering, when a completion waits for the thread)."""
        clock = _Clock(time_budget_ms, wall_cap_ms, give_way)
        path = Path(os.path.abspath(path))
        self.resolver.begin({item.path for item in recent.ranges()} if recent is not None else set())
        cursor_line = text.count("\n", 0, offset)
        if window_lines is None:
            window_lines = (max(0, cursor_line - DEFAULT_WINDOW_BEFORE), cursor_line + DEFAULT_WINDOW_AFTER)
        entry = self.resolver.current(path)
        found = _Candidates()
        cursor = CursorFacts(
            text,
            offset,
            cursor_line,
            AttributesUsed(text, max(0, offset - USAGE_CHARS), offset),
            _near_words(text, offset),
        )
        cursor.used = _uses(text, offset)
        cursor.writing = cursor_words(text, offset, _enclosing_head(entry, cursor_line))
        # Listings put first the members whose words the code around uses, the enclosing
        # function's name and parameters included (`close()` wants `is_closed`).
        cursor.words = cursor.words | cursor.writing.header
        self._used = frozenset(cursor.used)  # listings put the members the file uses first
        self._path = path
        # What the user has typed of the name at the cursor (`fut.do|`, `get_coo|`).
        attribute = attribute_before_cursor(text, offset)
        self._typed = typed_start(attribute[1] if attribute is not None else _word_before(text, offset))
        steps: list[str] = []
        for name, step in (
            ("attribute", lambda: self._attribute_at_cursor(entry, cursor, found)),
            ("near", lambda: self._names_near_cursor(entry, cursor, found, clock)),
            ("imports", lambda: self._imported_names(entry, cursor, found, clock)),
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
            cpu_ms=clock.cpu_ms(),
            considered=found.snippets if keep_candidates else [],
        )

    # --- what a candidate shows ---

    def _definition(self, symbol: Symbol, score: float, compact: bool = False) -> Snippet | None:
        entry = self.resolver.entry(symbol.path)
        if entry is None:
            return None
        members = self.resolver.facts(entry).members.get(symbol.qualified_name, [])
        return definition_snippet(symbol, entry, self.sources, score, members, compact, self._used)

    def _add_definition(self, found: _Candidates, symbol: Symbol, score: float, compact: bool = False) -> None:
        """A definition; for a variable that names a function or class (`make_fn = factory`),
        that definition too: the alias line says which name, the other what it takes."""
        found.add(self._definition(symbol, score, compact))
        aliased = self.resolver.classes.aliased(symbol)
        if aliased is not None:
            found.add(self._definition(aliased, score - 0.01, compact))

    def _class_members(self, owner: Symbol, found: _Candidates, cursor: CursorFacts, base: str, score: float) -> None:
        """The members of a class, and of the classes it extends, for `value.` at the cursor."""
        prefer = frozenset(cursor.attributes.get(base, ()))
        members = self.resolver.classes.own_members(owner)
        if owner.path == self._path:
            self._members_elsewhere(owner, members, found, prefer, cursor, score)
        else:
            found.add(members_snippet(owner, members, score, prefer, cursor.words, self._used, typed=self._typed))
        # A member a subclass overrides is listed with the subclass: its place in a base
        # class's listing goes to one the cursor can only find there.
        listed = {member.name for member in members}
        for rank, parent in enumerate(self.resolver.classes.base_classes(owner)):
            members = [member for member in self.resolver.classes.own_members(parent) if member.name not in listed]
            listed.update(member.name for member in members)
            if members:
                score = SCORE_INHERITED - 0.1 * rank
                found.add(members_snippet(parent, members, score, prefer, cursor.words, self._used, typed=self._typed))

    def _members_elsewhere(
        self, owner: Symbol, members: list[Symbol], found: _Candidates, prefer, cursor: CursorFacts, score: float
    ) -> None:
        """A type of the file being edited: the prompt shows the file itself, so what is listed
        are the members other files hold (a Go type's methods, a Rust type's `impl` blocks),
        one listing per file, the files with the most of them first."""
        by_file: dict[Path, list[Symbol]] = {}
        for member in members:
            if member.path != owner.path:
                by_file.setdefault(member.path, []).append(member)

        def likely(item: tuple[Path, list[Symbol]]) -> tuple[int, int, int]:
            names = {member.name for member in item[1]}
            related = max((relevance(name, cursor.words) for name in names), default=0)
            return -len(prefer & names), -related, -len(names)

        ranked = sorted(by_file.items(), key=likely)
        for rank, (path, held) in enumerate(ranked[:MAX_MEMBER_FILES]):
            place = (path, min(m.start_line for m in held), max(m.end_line for m in held))
            found.add(
                members_snippet(
                    owner, held, score - 0.02 * rank, prefer, cursor.words, self._used, place=place, typed=self._typed
                )
            )

    def _module_outline(
        self, path: Path, found: _Candidates, score: float, prefer: frozenset[str], words, limit: int
    ) -> None:
        """The outline of a module: one file's, or each file's of a Go package, the files
        with the names most related to the cursor first."""
        entries = self.resolver.module_entries(path)
        if len(entries) > 1:

            def best(entry: FileEntry) -> int:
                names, lower, parts = self._top_level_words(entry)
                return 3 * bool(names & prefer) + (2 if lower & words else 1 if parts & words else 0)

            entries.sort(key=lambda entry: (-best(entry), entry.path.name.endswith("_test.go"), entry.path))
        for rank, module in enumerate(entries[:12]):
            found.add(
                outline_snippet(
                    module, score - 0.02 * rank, prefer, limit=limit, words=words, used=self._used, typed=self._typed
                )
            )

    def _top_level_words(self, entry: FileEntry) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """A file's top-level names, as written and lower-case, and their words (remembered
        while the file is unchanged: a Go package's outline compares dozens of files)."""
        key = (entry.path, entry.hash)
        found = self._words_of_files.get(key)
        if found is None:
            if len(self._words_of_files) >= MAX_REMEMBERED_FILES:
                self._words_of_files.clear()
            names = frozenset(s.name for s in entry.symbols if s.parent is None)
            parts = frozenset(part for name in names for part in name_parts(name))
            found = self._words_of_files[key] = (names, frozenset(n.lower() for n in names), parts)
        return found

    # --- the steps ---

    def _attribute_at_cursor(self, entry: FileEntry | None, cursor: CursorFacts, found: _Candidates) -> None:
        attribute = attribute_before_cursor(cursor.text, cursor.offset)
        if entry is None or attribute is None:
            return
        base, _partial = attribute
        item = self.resolver.bindings(entry).get(base)
        if item is not None:
            path, symbol = self.resolver.resolve_import(entry, item)
            if symbol is None and path is not None:
                prefer = frozenset(cursor.attributes.get(base, ()))
                self._module_outline(path, found, SCORE_ATTRIBUTE_TARGET, prefer, cursor.words, limit=200)
                return
            if symbol is not None:
                if symbol.kind in CLASS_KINDS:
                    self._class_members(symbol, found, cursor, base, SCORE_ATTRIBUTE_TARGET)
                else:
                    self._add_definition(found, symbol, SCORE_ATTRIBUTE_TARGET)
            return
        owner = self.owners.type_of(entry, cursor, base, thorough=True)
        if owner is not None:
            self._class_members(owner, found, cursor, base, SCORE_ATTRIBUTE_TARGET)
            return
        if base[:1].isupper():
            for symbol in self.resolver.resolve_name(entry, base):
                if symbol.kind in CLASS_KINDS:
                    self._class_members(symbol, found, cursor, base, SCORE_ATTRIBUTE_TARGET)
                else:
                    self._add_definition(found, symbol, SCORE_ATTRIBUTE_TARGET)

    def _names_near_cursor(
        self, entry: FileEntry | None, cursor: CursorFacts, found: _Candidates, clock: _Clock
    ) -> None:
        text, offset = cursor.text, cursor.offset
        near = names_near(text, offset, LINES_BEFORE, entry.language if entry is not None else "")
        if entry is None:
            for name, weight in near.items():
                if clock.expired():
                    return
                for symbol in self._definitions_by_name(name, None):
                    self._add_definition(found, symbol, (SCORE_NEAR_NAME + weight) * SCORE_FALLBACK_DEFAULT)
            return
        bindings = self.resolver.bindings(entry)
        own = self.resolver.facts(entry).top_level
        self._types_named_like_line(entry, cursor, found)
        # Look names up across the workspace only where imports cannot say where they come
        # from: languages without import resolution here, and files with wildcard imports.
        by_name = entry.language not in SCORE_FALLBACK_FACTOR or bool(self.resolver.facts(entry).wildcards)
        # `module.attr`, `Class.attr` and `variable.attr` pairs near the cursor.
        window_start = max(0, offset - 4000)
        for match in ATTRIBUTE.finditer(text, window_start, offset):
            base, attr = match.group(1), match.group(2)
            # `self.x`/`Self::x`: the keyword is no near name, its member is (as near as it).
            closeness = near.get(attr if base in SELF_NAMES else base)
            if closeness is None or clock.expired():
                continue
            if base in bindings or (base[:1].isupper() and base not in SELF_NAMES):
                symbols = self.resolver.resolve_attribute(entry, base, attr)
            else:
                owner = self.owners.type_of(entry, cursor, base)
                symbols = self.resolver.classes.members(owner, attr) if owner is not None else []
                if base in SELF_NAMES:  # the class being written: only what other files hold
                    symbols = [symbol for symbol in symbols if symbol.path != entry.path]
            for symbol in symbols:
                self._add_definition(found, symbol, SCORE_NEAR_NAME + closeness * 0.9)
        for name, weight in near.items():
            if clock.expired():
                return
            if name in own:
                continue
            if name in bindings:
                path, imported = self.resolver.resolve_import(entry, bindings[name])
                if imported is not None:
                    self._add_definition(found, imported, SCORE_NEAR_NAME + weight)
                elif path is not None:
                    self._module_outline(path, found, SCORE_MODULE_OUTLINE + weight, frozenset(), cursor.words, 24)
                continue
            visible = self.resolver.resolve_name(entry, name, fallback=False) if by_name else []
            if visible:
                for symbol in visible:
                    self._add_definition(found, symbol, SCORE_NEAR_NAME + weight)
            elif weight >= 0.3 and by_name:
                factor = SCORE_FALLBACK_FACTOR.get(entry.language, SCORE_FALLBACK_DEFAULT)
                for symbol in self._definitions_by_name(name, entry):
                    self._add_definition(found, symbol, (SCORE_NEAR_NAME + weight) * factor)

    def _types_named_like_line(self, entry: FileEntry, cursor: CursorFacts, found: _Candidates) -> None:
        """Where the cursor expects a type (`class ReadLock implements |`), the classes the
        file sees whose names end the names on the cursor's line (`Lock`, `ReadWriteLock`
        for `ReentrantReadWriteLock`): a subclass is mostly named after what it extends."""
        line_start = cursor.text.rfind("\n", 0, cursor.offset) + 1
        if _TYPE_POSITION.search(cursor.text, max(line_start, cursor.offset - 200), cursor.offset) is None:
            return
        seen: set[str] = set()
        for word in IDENTIFIER.findall(cursor.text, line_start, cursor.offset):
            for name in _name_tails(word):
                if name in seen or not self.index.has_definition(name):
                    continue
                seen.add(name)
                for symbol in self.resolver.resolve_name(entry, name, fallback=False):
                    if symbol.kind in CLASS_KINDS:
                        self._add_definition(found, symbol, SCORE_NEAR_NAME + 0.5)

    def _definitions_by_name(self, name: str, entry: FileEntry | None) -> list[Symbol]:
        if entry is not None:
            return self.resolver.resolve_name(entry, name)
        return [s for s in self.index.definitions(name) if s.parent is None][:2]

    def _imported_names(self, entry: FileEntry | None, cursor: CursorFacts, found: _Candidates, clock: _Clock) -> None:
        if entry is None:
            return
        text, offset = cursor.text, cursor.offset
        counts = cursor.used
        bindings = self.resolver.bindings(entry)
        ranked = sorted(bindings, key=lambda name: -counts.get(name, 0))
        top = max(1, max((counts.get(name, 0) for name in ranked), default=1))
        affinity = NameAffinity(bindings, cursor.writing, self._followers(entry, cursor, bindings))
        wants_type = _TYPE_POSITION.search(text, max(0, offset - 200), offset) is not None
        window = max(0, offset - USAGE_CHARS)
        for name in ranked:
            if clock.expired():
                return
            usage = counts.get(name, 0) / top
            path, symbol = self.resolver.resolve_import(entry, bindings[name])
            if symbol is not None:
                # Among names used as often, the one used last is the likelier next.
                last = last_use(text, name, window, offset) if counts.get(name) else -1
                recency = (last - window) / max(1, offset - window) if last >= 0 else 0.0
                score = SCORE_IMPORTED + 0.9 * usage + SCORE_RECENT_USE * recency + affinity(name)
                if counts.get(name, 0) <= 1:  # the import itself, if that
                    score += SCORE_PENDING
                if wants_type and _is_type_like(symbol):
                    score += SCORE_TYPE_POSITION
                self._add_definition(found, symbol, min(score, SCORE_IMPORTED_MAX), compact=True)
            elif path is not None:
                used = frozenset(cursor.attributes.get(name, ()))
                score = SCORE_MODULE_OUTLINE * (0.5 + 0.5 * usage)
                self._module_outline(path, found, score, used, cursor.words, 24)
        if entry.language in IMPLICIT_SCOPE or self.resolver.facts(entry).wildcards:
            self._used_unimported_names(entry, cursor, found, clock)

    @staticmethod
    def _followers(entry: FileEntry, cursor: CursorFacts, names: Collection[str]) -> dict[str, float]:
        if cursor.sequels is None:
            cursor.sequels = Sequels(cursor.text, cursor.offset, (item.line for item in entry.imports))
        return cursor.sequels.shares(frozenset(names))

    def _used_unimported_names(self, entry: FileEntry, cursor: CursorFacts, found: _Candidates, clock: _Clock) -> None:
        """Where names come without an import naming them (a Go or Java package, C headers,
        wildcard imports), the names the file uses most that it does not define."""
        facts = self.resolver.facts(entry)
        counts = cursor.used
        # Only names defined somewhere take one of the places: most of a file's names are locals.
        unimported = (
            name
            for name, _count in counts.most_common()
            if name not in facts.top_level
            and name not in facts.bindings
            and is_interesting(name, entry.language)
            and self.index.has_definition(name)
        )
        names = list(itertools.islice(unimported, MAX_USED_NAMES))
        top = max((counts[name] for name in names), default=1)
        affinity = NameAffinity(names, cursor.writing, self._followers(entry, cursor, names))
        for name in names:
            if clock.expired():
                return
            score = min(SCORE_IMPORTED + 0.9 * counts[name] / top + affinity(name), SCORE_IMPORTED_MAX)
            for symbol in self.resolver.resolve_name(entry, name, fallback=False):
                self._add_definition(found, symbol, score, compact=True)

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
        seen = {e.path for e in entries} | {path}
        related = [r.path for r in recent.ranges()] if recent is not None else []
        related += self._siblings(path)
        for other in related:
            if clock.expired():
                break
            if other not in seen:
                seen.add(other)
                other_entry = self.resolver.entry(other)
                if other_entry is not None:
                    entries.append(other_entry)
        # A file's chunk token sets cost a pass over its text once; out of time, the search
        # uses the chunks whose sets are ready.
        for score, chunk in similar_chunks(query, entries, self.chunk_tokens, expired=clock.expired):
            language = entry.language if entry is not None else ""
            found.add(
                Snippet(
                    chunk.path, chunk.start_line, chunk.end_line, chunk.text, "similar", SCORE_SIMILAR + score, language
                )
            )

    def _siblings(self, path: Path) -> list[Path]:
        suffix = path.suffix
        names = [p for p in self.index.files_in(path.parent) if p.name.endswith(suffix)]
        return names[:MAX_SIBLING_FILES]


# The cursor where a type goes: after `name:` or `->` (an annotation), `except`, `raise`,
# `new`, `extends`, `implements`, `instanceof`, or a generic's `<`.
_TYPE_POSITION = re.compile(
    r"(?:->|(?<![:=])\b\w+\??\s*:(?!:)|\b(?:except|raise|new|extends|implements|instanceof|isinstance\([^,()]*,)"
    r"|[\w>]<)[\s(\[|,]*(?:\w+\s*[\[|,]\s*)*$"
)


_CAMEL_TAIL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _name_tails(word: str) -> list[str]:
    """The capitalized words a CamelCase name ends with, longest first, the name itself left
    out: `ReentrantReadWriteLock` -> ReadWriteLock, WriteLock, Lock."""
    if not word[:1].isupper():
        return []
    return [word[match.start() :] for match in _CAMEL_TAIL.finditer(word)]


def _is_type_like(symbol: Symbol) -> bool:
    """A class, or a name that reads like a type alias (`Headers = dict[str, str]`)."""
    return symbol.kind in CLASS_KINDS or (symbol.kind == "variable" and symbol.name[:1].isupper())


def _word_before(text: str, offset: int) -> str:
    """The identifier the cursor ends, as typed so far ("" after a non-name character)."""
    start = offset
    while is_word_char(text, start - 1):
        start -= 1
    word = text[start:offset]
    return word if IDENTIFIER.fullmatch(word) else ""


def _enclosing_head(entry: FileEntry | None, line: int) -> str:
    """The head (signature) of the innermost definition of the file around `line`."""
    best: Symbol | None = None
    for symbol in entry.symbols if entry is not None else ():
        if symbol.kind in _HEADED_KINDS and symbol.start_line <= line <= symbol.end_line:
            if best is None or symbol.start_line >= best.start_line:
                best = symbol
    return best.signature if best is not None else ""


_HEADED_KINDS = frozenset({"function", "method", "class", "struct", "interface", "trait", "enum"})


def _near_words(text: str, offset: int) -> frozenset[str]:
    words: set[str] = set()
    for name in names_near(text, offset, SIMILARITY_LINES):
        words.add(name.lower())
        words.update(name_parts(name))
    return frozenset(words)


def _uses(text: str, offset: int) -> Counter:
    """How often each identifier is used in the text before the cursor."""
    return Counter(IDENTIFIER.findall(text, max(0, offset - USAGE_CHARS), offset))


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
