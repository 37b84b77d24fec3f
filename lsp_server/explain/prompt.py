""" "Explain selection": the prompt for a selected range, as a chat message.

The prompt holds the selection, a few lines around it, and the signatures and
docstrings of workspace definitions the selection uses (from the index). It goes
through the model's own chat template (`build_chat_prompt`, also used for hover
summaries by an explain model); a model without one gets a plain instruction.
Template text is tokenized with special tokens on; the user's code never is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.base import Engine

SURROUNDING_LINES = 12
MAX_DEFINITIONS = 6
MAX_SELECTION_CHARS = 12_000
MAX_DOC_CHARS = 400  # of each definition's docstring
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = "\x00INFILL_USER_TEXT\x00"
SYSTEM_PROMPT = "You are a senior software engineer. Explain code clearly and briefly, in Markdown."


@dataclass
class ExplainRequest:
    text: str  # the whole document
    start: int  # code-point offsets of the selection
    end: int
    language: str = ""
    path: str = ""


def used_names(code: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in _IDENTIFIER.findall(code):
        if len(name) > 2 and name not in seen:
            seen[name] = None
    return list(seen)


def definitions_text(names: list[str], lookup: Callable[[str], list]) -> str:
    """Signatures and docstrings of names the index knows, as a short listing."""
    parts = []
    for name in names:
        symbols = lookup(name)
        if not symbols:
            continue
        symbol = symbols[0]
        doc = f"\n    {symbol.doc.strip()[:MAX_DOC_CHARS]}" if symbol.doc else ""
        parts.append(f"{symbol.signature.strip()}{doc}")
        if len(parts) >= MAX_DEFINITIONS:
            break
    return "\n\n".join(parts)


def user_message(request: ExplainRequest, definitions: str) -> str:
    selection = request.text[request.start : request.end][:MAX_SELECTION_CHARS]
    before = request.text[: request.start].split("\n")[-SURROUNDING_LINES - 1 :]
    after = request.text[request.end :].split("\n")[: SURROUNDING_LINES + 1]
    fence = request.language or ""
    parts = [f"Explain what the selected code does{' in ' + request.path if request.path else ''}."]
    parts.append(f"Selected code:\n```{fence}\n{selection}\n```")
    context = "\n".join(before) + "<selection>" + "\n".join(after)
    parts.append(f"Surrounding code (the selection is at <selection>):\n```{fence}\n{context}\n```")
    if definitions:
        parts.append(f"Definitions it uses, from the workspace:\n```{fence}\n{definitions}\n```")
    return "\n\n".join(parts)


def build_chat_prompt(engine: Engine, message: str, system: str = SYSTEM_PROMPT) -> list[int]:
    """Token ids: the model's chat template around the message, or a plain instruction."""
    template = engine.chat_template()
    if template:
        try:
            rendered = _render_chat(template, system, message=_PLACEHOLDER)
            head, _, tail = rendered.partition(_PLACEHOLDER)
            tokens = engine.tokenize_control(head) + engine.tokenize(message) + engine.tokenize_control(tail)
            if engine.special.add_bos and engine.special.bos >= 0 and tokens[:1] != [engine.special.bos]:
                tokens = [engine.special.bos] + tokens
            return tokens
        except Exception:  # a template this renderer cannot handle: fall back to plain text
            pass
    plain = f"{system}\n\n{message}\n\nAnswer:\n"
    tokens = engine.tokenize(plain)
    if engine.special.add_bos and engine.special.bos >= 0:
        tokens = [engine.special.bos] + tokens
    return tokens


def _render_chat(template: str, system: str, message: str) -> str:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.ChainableUndefined)
    env.globals["raise_exception"] = lambda text: (_ for _ in ()).throw(ValueError(text))
    return env.from_string(template).render(
        messages=[{"role": "system", "content": system}, {"role": "user", "content": message}],
        add_generation_prompt=True,
        bos_token="",
        eos_token="",
    )


def deadline_stop(seconds: float) -> Callable[[], bool]:
    """A should_stop check that is true once `seconds` have passed."""
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() > deadline
