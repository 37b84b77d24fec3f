"""A small Python + TypeScript workspace written into a temporary folder, and its index
(shared by the context and hover tests)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lsp_server.context import ContextRetriever
from lsp_server.context.gather import ContextResult
from lsp_server.index import WorkspaceIndex

FILES = {
    "pkg/__init__.py": "from .shapes import Circle\n",
    "pkg/shapes.py": '''"""Shapes."""


class Circle:
    """A circle of a given radius."""

    def __init__(self, radius):
        self.radius = radius

    def area(self):
        """The area of the circle."""
        return 3.14159 * self.radius ** 2


def make_circle(radius):
    """Build a Circle, checking the radius."""
    if radius < 0:
        raise ValueError("negative radius")
    return Circle(radius)
''',
    "pkg/geometry/util.py": '''def clamp(value, low, high):
    """Limit value to [low, high]."""
    return max(low, min(value, high))


def unused_helper():
    return 42
''',
    "app/main.py": '''from pkg.shapes import make_circle
from pkg.geometry import util
from pkg import Circle


def report(radius):
    """Print the area of a circle."""
    size = util.clamp(radius, 0, 10)
    shape = make_circle(size)
    return shape.area()
''',
    "web/src/format.ts": '''/** Format a price in euros. */
export function formatPrice(cents: number): string {
  return (cents / 100).toFixed(2) + " EUR";
}

export interface Cart {
  items: number[];
  total(): number;
}
''',
    "web/src/app.ts": '''import { formatPrice, Cart } from "./format";
import * as fmt from "./format";

export function show(cart: Cart): string {
  return formatPrice(cart.total());
}
''',
}


def make_workspace(root: Path) -> WorkspaceIndex:
    for relative, text in FILES.items():
        path = root / "ws" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    index = WorkspaceIndex([root / "ws"], db_path=root / "index.sqlite3", workers=0)
    index.build()
    return index


def count_tokens(text: str) -> int:
    """A token count close enough for the budgets of tests: about four characters a token."""
    return len(text) // 4 + 1


def indexed_workspace(tmp_path: Path, files: dict[str, str]) -> WorkspaceIndex:
    """`files` (relative path -> text, dedented, leading newlines dropped) written into
    `tmp_path/ws`, and its index built."""
    root = tmp_path / "ws"
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    index = WorkspaceIndex([root], db_path=tmp_path / "index.sqlite3", workers=0)
    index.build()
    return index


def gathered(tmp_path: Path, files: dict[str, str], current: str, budget: int, **options) -> ContextResult:
    """What gathering gives with the cursor at the end of `files[current]`, in a workspace of
    `files` (time enough for every step; `options` go to `ContextRetriever.gather`)."""
    index = indexed_workspace(tmp_path, files)
    text = files[current]
    try:
        return ContextRetriever(index).gather(
            index.roots[0] / current, text, len(text), budget, count_tokens, time_budget_ms=1000, **options
        )
    finally:
        index.close()


def candidate_scores(tmp_path: Path, files: dict[str, str], current: str) -> dict[str, float]:
    """The score of each definition that gathering considers with the cursor at the end of
    `files[current]`, in a workspace of `files` (budget 300)."""
    result = gathered(tmp_path, files, current, 300, keep_candidates=True)
    return {s.name: s.score for s in result.considered if s.kind == "definition"}
