"""Fill-in-the-middle prompts, built as token ids.

Control tokens (<fim_prefix> and friends) are added by id; the user's text is
tokenized with special=False, so source code that happens to contain the text
"<fim_middle>" can never steer the model.

The FIM ids come from the GGUF's own metadata when it has them; otherwise from
a per-family template whose control-token texts are looked up in the vocabulary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import EngineError
from .vocabulary import FimOrder, Vocabulary


@dataclass(frozen=True)
class FimTemplate:
    family: str
    prefix: str
    suffix: str
    middle: str | None  # None: the model starts the middle right after the last part
    order: FimOrder
    stop: tuple[str, ...] = ()
    repo_name: str | None = None
    file_sep: str | None = None


TEMPLATES: dict[str, FimTemplate] = {
    t.family: t
    for t in (
        FimTemplate(
            "qwen2.5-coder",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "psm",
            stop=("<|endoftext|>", "<|file_sep|>", "<|fim_pad|>", "<|repo_name|>", "<|im_end|>"),
            repo_name="<|repo_name|>",
            file_sep="<|file_sep|>",
        ),
        FimTemplate(
            "starcoder",
            "<fim_prefix>",
            "<fim_suffix>",
            "<fim_middle>",
            "psm",
            stop=("<|endoftext|>", "<file_sep>", "<fim_pad>", "<repo_name>"),
            repo_name="<repo_name>",
            file_sep="<file_sep>",
        ),
        FimTemplate(
            "deepseek-coder",
            "<｜fim▁begin｜>",
            "<｜fim▁hole｜>",
            "<｜fim▁end｜>",
            "psm",
            stop=("<｜end▁of▁sentence｜>", "<|EOT|>"),
        ),
        FimTemplate("codellama", "▁<PRE>", "▁<SUF>", "▁<MID>", "psm", stop=("▁<EOT>", "<EOT>")),
        FimTemplate("codestral", "[PREFIX]", "[SUFFIX]", None, "spm", stop=("</s>",)),
    )
}


@dataclass(frozen=True)
class FimTokens:
    """Resolved FIM control token ids for one loaded model."""

    family: str
    prefix: int
    suffix: int
    middle: int  # -1 when the template has no middle token
    order: FimOrder
    bos: int = -1  # prepended when the model wants a BOS token
    repo_name: int = -1
    file_sep: int = -1
    stop_ids: frozenset[int] = frozenset()
    stop_texts: tuple[str, ...] = ()


def _template_ids(engine: Vocabulary, template: FimTemplate) -> tuple[int, int, int] | None:
    pre = engine.token_id(template.prefix)
    suf = engine.token_id(template.suffix)
    mid = engine.token_id(template.middle) if template.middle else -1
    if pre < 0 or suf < 0 or (template.middle and mid < 0):
        return None
    return pre, suf, mid


def _guess_family(engine: Vocabulary) -> FimTemplate | None:
    for template in TEMPLATES.values():
        if _template_ids(engine, template):
            return template
    return None


def resolve_fim_tokens(engine: Vocabulary, family: str = "auto") -> FimTokens:
    """FIM ids for the engine's model: GGUF metadata first, then a family template.

    Raises EngineError with a message for the user when the model cannot do FIM.
    """
    special = engine.special
    template = TEMPLATES.get(family) if family != "auto" else _guess_family(engine)
    if family != "auto" and template is None:
        raise EngineError(f"unknown FIM family {family!r}")

    ids: tuple[int, int, int] | None = None
    if family == "auto" and min(special.fim_prefix, special.fim_suffix, special.fim_middle) >= 0:
        ids = (special.fim_prefix, special.fim_suffix, special.fim_middle)
        order = special.fim_order
    elif template is not None and (ids := _template_ids(engine, template)):
        order = template.order
    if ids is None:
        wanted = f"the {family} FIM tokens" if family != "auto" else "FIM tokens"
        raise EngineError(
            f"model {engine.name} has no {wanted}; it cannot fill in the middle "
            "(choose a code model with FIM support, or set infill.model.fimFamily)"
        )

    stop_ids = set(special.stop_ids())
    stop_texts: tuple[str, ...] = ()
    repo_name = special.fim_repo
    file_sep = special.fim_file_sep
    if template is not None:
        for text in template.stop:
            token = engine.token_id(text)
            if token >= 0:
                stop_ids.add(token)
        stop_texts = template.stop
        if repo_name < 0 and template.repo_name:
            repo_name = engine.token_id(template.repo_name)
        if file_sep < 0 and template.file_sep:
            file_sep = engine.token_id(template.file_sep)
    # Control tokens in the output mean the model has left the middle.
    stop_ids.update(t for t in (ids[0], ids[1], ids[2], file_sep, repo_name) if t >= 0)
    return FimTokens(
        family=template.family if template else "gguf-metadata",
        prefix=ids[0],
        suffix=ids[1],
        middle=ids[2],
        order=order,
        bos=special.bos if special.add_bos else -1,
        repo_name=repo_name,
        file_sep=file_sep,
        stop_ids=frozenset(stop_ids),
        stop_texts=stop_texts,
    )


@dataclass
class FimPrompt:
    tokens: list[int]
    prefix_tokens: int
    suffix_tokens: int
    prefix_text: str  # the part of the prefix that fit the budget
    suffix_text: str


# At most this many more lines are dropped to start the prefix right after a blank line.
STABLE_START_LINES = 12


def _keep_last_lines(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The longest tail of text, cut at a line start, whose token count fits budget.

    The line with the cursor (text after the last newline) is always kept whole
    unless it alone is over budget; then the caller truncates tokens. When lines
    had to go, the cut moves down to just after a blank line if one is near: as
    the user types, the first line that fits moves down one line at a time, but
    the prompt's start then stays put until it passes the next blank line, so
    the tokens of the lines above (and llama.cpp's KV cache for them) are reused.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    used = 0
    for line in reversed(lines):
        cost = count(line) if kept else cursor_line_cost(line, count)
        if kept and used + cost > budget:
            break
        kept.append(line)
        used += cost
    kept.reverse()
    if len(kept) < len(lines):
        for skip in range(min(STABLE_START_LINES, len(kept) - 2)):
            if not kept[skip].strip():
                kept = kept[skip + 1 :]
                break
    return "".join(kept)


def cursor_line_cost(line: str, count: Callable[[str], int]) -> int:
    """Tokens counted for the cursor's line when the window is fitted: at least what its
    characters could take as code (a token per 3 characters, plus 4). Its real count does
    not grow with each letter typed (one can merge two tokens: 1 in 12 keystrokes on the
    latency benchmark), and at the window's edge that flipped the first line in and out, and
    with it llama.cpp's cache of the prompt after it. The bound only grows as the line does."""
    return max(count(line), len(line) // 3 + 4)


def _keep_first_lines(text: str, budget: int, count: Callable[[str], int]) -> str:
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = count(line)
        if kept and used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "".join(kept)


def _rough_window(text: str, budget: int, from_end: bool) -> str:
    """Cut a character window that surely holds more than budget tokens' worth
    of lines, so that per-line counting stays cheap on a huge document."""
    chars = budget * 12 + 256
    if len(text) <= chars:
        return text
    if from_end:
        window = text[-chars:]
        newline = window.find("\n")
        return window[newline + 1 :] if newline >= 0 else window
    window = text[:chars]
    newline = window.rfind("\n")
    return window[: newline + 1] if newline >= 0 else window


class LineTokenCounter:
    """Token counts of single lines, remembered: between two keystrokes only the
    cursor's line changes, so trimming the window costs one tokenizer call, not
    one per line."""

    def __init__(self, tokenize: Callable[[str], list[int]], capacity: int = 50_000) -> None:
        self._tokenize = tokenize
        self._counts: dict[str, int] = {}
        self._capacity = capacity

    def __call__(self, line: str) -> int:
        count = self._counts.get(line)
        if count is None:
            if len(self._counts) >= self._capacity:
                self._counts.clear()
            count = self._counts[line] = len(self._tokenize(line))
        return count


def build_fim_prompt(
    tokenize: Callable[[str], list[int]],
    fim: FimTokens,
    prefix: str,
    suffix: str,
    budget_tokens: int,
    suffix_fraction: float = 0.25,
    count_line_tokens: Callable[[str], int] | None = None,
) -> FimPrompt:
    """The FIM prompt for a cursor with prefix before it and suffix after it.

    The budget covers prefix + suffix tokens; the suffix gets suffix_fraction of it
    and hands what it does not use to the prefix. Both are trimmed at line
    boundaries, keeping the lines nearest the cursor. Cross-file context goes in
    front with `prepend_context`.
    """
    count = count_line_tokens or (lambda line: len(tokenize(line)))
    suffix_budget = int(budget_tokens * suffix_fraction)
    suffix_text = _keep_first_lines(_rough_window(suffix, suffix_budget, False), suffix_budget, count)
    suffix_ids = tokenize(suffix_text) if suffix_text else []
    if len(suffix_ids) > suffix_budget:
        suffix_ids = suffix_ids[:suffix_budget]

    prefix_budget = budget_tokens - len(suffix_ids)
    prefix_text = _keep_last_lines(_rough_window(prefix, prefix_budget, True), prefix_budget, count)
    prefix_ids = tokenize(prefix_text) if prefix_text else []
    if len(prefix_ids) > prefix_budget:
        # One enormous line (minified code): keep the tokens nearest the cursor.
        prefix_ids = prefix_ids[-prefix_budget:]

    head = [fim.bos] if fim.bos >= 0 else []
    if fim.order == "spm":
        tokens = head + [fim.suffix] + suffix_ids + [fim.prefix] + prefix_ids
    else:
        tokens = head + [fim.prefix] + prefix_ids + [fim.suffix] + suffix_ids
    if fim.middle >= 0:  # Codestral's SPM has no middle token: the middle follows the prefix
        tokens.append(fim.middle)
    return FimPrompt(tokens, len(prefix_ids), len(suffix_ids), prefix_text, suffix_text)


def prepend_context(prompt: FimPrompt, fim: FimTokens, context_tokens: list[int]) -> FimPrompt:
    """The prompt with cross-file context tokens placed after BOS, before the FIM part.

    The context is chosen after the local window (so that snippets overlapping it can be left
    out); this adds it without tokenizing the window again."""
    if not context_tokens:
        return prompt
    at = 1 if fim.bos >= 0 else 0
    return dataclasses.replace(prompt, tokens=prompt.tokens[:at] + list(context_tokens) + prompt.tokens[at:])
