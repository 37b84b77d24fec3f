"""The in-memory name index behind workspace/symbol: symbol names -> symbol ids, ranked search.

Search works on the distinct lower-cased names, in tiers that are cheap to compute in order:
exact name, prefix (binary search in the sorted names), substring (str.find over all names
joined by newlines) and then fuzzy subsequence (a regular expression over the names that start
with the query's first character). Later tiers only run when the earlier ones found fewer than
`limit` symbols.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict

# How many names a substring/fuzzy tier ranks at most; beyond that the order is alphabetical.
MAX_RANKED_NAMES = 2_000


class NameIndex:
    def __init__(self) -> None:
        self._ids_by_name: dict[str, list[int]] = defaultdict(list)
        self._names_by_lower: dict[str, list[str]] = defaultdict(list)  # usually one name
        self._sorted_lower: list[str] = []
        self._blob = ""  # "\n" + "\n".join(sorted_lower) + "\n"
        # Lower-case names added or removed since _sorted_lower was last brought up to date:
        # a few are merged in with bisect (an edit in one file), many trigger one full sort.
        self._added: set[str] = set()
        self._removed: set[str] = set()

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._ids_by_name.values())

    def has(self, name: str) -> bool:
        return bool(self._ids_by_name.get(name))

    def add(self, symbol_id: int, name: str) -> None:
        ids = self._ids_by_name[name]
        if not ids:
            lower = name.lower()
            if lower not in self._names_by_lower:
                self._added.add(lower)
                self._removed.discard(lower)
            self._names_by_lower[lower].append(name)
        ids.append(symbol_id)

    def remove(self, symbol_id: int, name: str) -> None:
        ids = self._ids_by_name.get(name)
        if not ids:
            return
        try:
            ids.remove(symbol_id)
        except ValueError:
            return
        if not ids:
            del self._ids_by_name[name]
            lower = name.lower()
            self._names_by_lower[lower].remove(name)
            if not self._names_by_lower[lower]:
                del self._names_by_lower[lower]
                self._removed.add(lower)
                self._added.discard(lower)

    def search(self, query: str, limit: int) -> list[int]:
        """Symbol ids, best match first: exact, prefix, substring, then fuzzy subsequence."""
        if limit <= 0:
            return []
        self.prepare()
        wanted = "".join(query.split()).lower()  # names have no spaces
        ranked: list[str] = []  # distinct lower-case names, best first
        seen: set[str] = set()
        found = 0

        def take(names: list[str]) -> bool:
            nonlocal found
            for lower in names:
                if lower not in seen:
                    seen.add(lower)
                    ranked.append(lower)
                    found += sum(len(self._ids_by_name[name]) for name in self._names_by_lower[lower])
                    if found >= limit:
                        return True
            return False

        if not wanted:
            take(self._sorted_lower)
        else:
            for tier in (self._exact, self._with_prefix, self._containing, self._fuzzy):
                if take(tier(wanted)):
                    break
        result: list[int] = []
        for lower in ranked:
            # Exact case first among names that differ only in case ("Path" before "path" for "Path").
            for name in sorted(self._names_by_lower[lower], key=lambda n: (not n.startswith(query.strip()), n)):
                result.extend(self._ids_by_name[name])
        return result[:limit]

    def prepare(self) -> None:
        """Bring the sorted names and the search string up to date (done by the first search
        after a change; call it after a bulk load so that no query pays for it)."""
        if not self._added and not self._removed:
            return
        if len(self._added) + len(self._removed) > 200:
            self._sorted_lower = sorted(self._names_by_lower)
        else:
            for lower in self._removed:
                position = bisect.bisect_left(self._sorted_lower, lower)
                if position < len(self._sorted_lower) and self._sorted_lower[position] == lower:
                    del self._sorted_lower[position]
            for lower in self._added:
                bisect.insort(self._sorted_lower, lower)
        self._added.clear()
        self._removed.clear()
        self._blob = "\n" + "\n".join(self._sorted_lower) + "\n"

    def _exact(self, wanted: str) -> list[str]:
        return [wanted] if wanted in self._names_by_lower else []

    def _with_prefix(self, prefix: str) -> list[str]:
        return sorted(self._slice_with_prefix(prefix)[: 10 * MAX_RANKED_NAMES], key=len)

    def _containing(self, part: str) -> list[str]:
        blob, position = self._blob, 0
        names: list[tuple[str, int]] = []  # (name, offset of the match in it)
        while len(names) < MAX_RANKED_NAMES:
            hit = blob.find(part, position)
            if hit < 0:
                break
            line_start = blob.rfind("\n", 0, hit) + 1
            line_end = blob.find("\n", hit)
            names.append((blob[line_start:line_end], hit - line_start))
            position = line_end

        def score(item: tuple[str, int]) -> tuple[bool, int]:
            # Prefer a match at a word start ("get_path" for "path"), then shorter names.
            name, offset = item
            at_word_start = offset == 0 or not name[offset - 1].isalnum()
            return (not at_word_start, len(name))

        return [name for name, _ in sorted(names, key=score)]

    def _fuzzy(self, wanted: str) -> list[str]:
        """Names that contain the query's characters in order and start with its first one
        (after leading underscores): "gtpth" finds "getpath". Starting with the same character
        keeps results sensible and lets the scan cover only that slice of the sorted names."""
        first = wanted[0]
        candidates: list[str] = []
        for prefix in (first, "_" + first, "__" + first):
            if prefix.startswith("__") and first == "_":
                continue
            candidates.extend(self._slice_with_prefix(prefix))
        if not candidates:
            return []
        # "^_*t[^m\n]*m[^p\n]*p": each gap stops at the first next character, so a name is
        # matched or rejected without backtracking.
        pattern = "^_*" + re.escape(first) + "".join(f"[^{re.escape(c)}\n]*{re.escape(c)}" for c in wanted[1:])
        blob = "\n".join(candidates)
        matches = []
        for match in re.finditer(pattern, blob, re.MULTILINE):
            line_end = blob.find("\n", match.end())
            name = blob[match.start() : line_end if line_end >= 0 else len(blob)]
            matches.append((match.end() - match.start(), len(name), name))
            if len(matches) >= MAX_RANKED_NAMES:
                break
        # Tighter matches first ("tmpl" prefers "tmpl_x" to "template_list"), then shorter names.
        return [name for _, _, name in sorted(matches)]

    def _slice_with_prefix(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self._sorted_lower, prefix)
        end = bisect.bisect_left(self._sorted_lower, prefix + "\uffff")
        return self._sorted_lower[start:end]
