"""Hover documentation from the workspace index: `resolve_hover` finds what the name under the
cursor stands for and `HoverInfo.markdown()` renders it (no model needed); `HoverService` runs it
for the server and has the model write summaries of undocumented symbols; `HoverFeature`
(feature.py) answers textDocument/hover with it."""

from .resolve import HoverInfo, resolve_hover
from .summaries import clean_summary, summary_prompt_for
from .summary_cache import SummaryCache

__all__ = ["HoverInfo", "SummaryCache", "clean_summary", "resolve_hover", "summary_prompt_for"]
