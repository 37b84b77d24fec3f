"""What the remote engine sends for a prompt built as token ids.

Infill builds every prompt as ids: control tokens where it put them, user text
tokenized as plain text. A server that takes a text prompt tokenizes it again,
and OpenAI-compatible servers (llama.cpp, llama-cpp-python, vLLM) parse control
token texts in a text prompt as control tokens. So, in order of preference:

* token ids, when Infill has the served model's tokenizer (a local GGUF) and the
  server accepts a list of ids as `prompt` (llama.cpp server, vLLM): exact;
* llama.cpp server's /infill: prefix, suffix and context go as separate fields
  that the server tokenizes with special tokens off, and it adds the FIM tokens;
* text: control texts appear where Infill put them, and in user text every
  string that looks like a control token is broken with a zero-width space
  (`<|fim_middle|>` becomes `<\u200b|fim_middle|>`) so the server cannot read it
  as one. The model then sees one invisible character more in such a file.
"""

from __future__ import annotations

import re
from typing import Protocol

from ..prompts.fim import TEMPLATES, FimTokens

ZERO_WIDTH_SPACE = "\u200b"
# Control-token spellings of the code model families: <|...|> (Qwen, DeepSeek's <|EOT|>),
# <｜...｜> (DeepSeek FIM), StarCoder's <fim_*>/<file_sep>/<repo_name>/..., Code Llama's
# <PRE>/<SUF>/<MID>/<EOT>, Mistral's [PREFIX]/[SUFFIX]/[INST], and <s> </s>.
_CONTROL_LIKE = re.compile(
    r"<\|[^|<>\s]{1,40}\|>"
    r"|<｜[^｜<>\s]{1,40}｜>"
    r"|<(?:fim_[a-z]+|file_sep|filename|repo_name|reponame|gh_stars|empty_output|(?:jupyter|issue|commit|pr)_[a-z_]+|pr)>"
    r"|<(?:PRE|SUF|MID|EOT)>"
    r"|\[/?(?:PREFIX|SUFFIX|MIDDLE|INST|AVAILABLE_TOOLS|TOOL_CALLS)\]"
    r"|</?s>"
)
_TEMPLATE_TEXTS = sorted(
    {
        text.lstrip("▁")
        for t in TEMPLATES.values()
        for text in (t.prefix, t.suffix, t.middle, t.repo_name, t.file_sep, *t.stop)
        if text
    },
    key=len,
    reverse=True,
)
_KNOWN = re.compile("|".join(re.escape(text) for text in _TEMPLATE_TEXTS) + "|" + _CONTROL_LIKE.pattern)


class PromptTokens(Protocol):
    def is_control(self, token: int) -> bool: ...

    def text(self, tokens: list[int], special: bool = False) -> str: ...


def defuse_control_text(text: str) -> str:
    """User text with every control-token look-alike broken after its first character."""
    return _KNOWN.sub(lambda m: m.group(0)[0] + ZERO_WIDTH_SPACE + m.group(0)[1:], text)


def runs(tokens: list[int], tokenizer: PromptTokens) -> list[tuple[bool, list[int]]]:
    """(is_control, ids) runs: control tokens one per run, user text in between."""
    out: list[tuple[bool, list[int]]] = []
    for token in tokens:
        control = tokenizer.is_control(token)
        if control or not out or out[-1][0]:
            out.append((control, [token]))
        else:
            out[-1][1].append(token)
    return out


def prompt_text(tokens: list[int], tokenizer: PromptTokens) -> str:
    """The prompt as text for a server that tokenizes it with control tokens parsed."""
    return "".join(
        tokenizer.text(ids, special=True) if control else defuse_control_text(tokenizer.text(ids))
        for control, ids in runs(tokens, tokenizer)
    )


def infill_fields(tokens: list[int], tokenizer: PromptTokens, fim: FimTokens) -> dict:
    """input_prefix, input_suffix and input_extra for llama.cpp server's /infill.

    Context before the FIM part becomes input_extra chunks, one per <file_sep>
    section ("path\\ntext"); the section naming the current file and the
    repository name are dropped (the server writes its own). Context without file
    separators (a model without them) goes in front of the prefix."""
    parts: dict[int, list[str]] = {}
    current: int | None = None
    context: list[tuple[int, str]] = []  # (control id before it, text)
    for control, ids in runs(tokens, tokenizer):
        if control:
            token = ids[0]
            if token in (fim.prefix, fim.suffix, fim.middle):
                current = token
                parts.setdefault(token, [])
            else:
                context.append((token, ""))
            continue
        text = tokenizer.text(ids)
        if current is not None:
            parts[current].append(text)
        elif context:
            context[-1] = (context[-1][0], context[-1][1] + text)
        else:
            context.append((-1, text))
    extra, loose = [], ""
    for token, text in context:
        if token == fim.file_sep and fim.file_sep >= 0:
            filename, _, body = text.partition("\n")
            if body:
                extra.append({"filename": filename, "text": body})
        elif token != fim.repo_name or fim.repo_name < 0:
            loose += text
    return {
        "input_prefix": loose + "".join(parts.get(fim.prefix, [])),
        "input_suffix": "".join(parts.get(fim.suffix, [])),
        "input_extra": extra,
    }
