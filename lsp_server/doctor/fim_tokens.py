"""Check 'FIM tokens': the model has fill-in-the-middle tokens, and is not an instruct model.

"Chat works, autocomplete is silent" mostly comes from here: an instruct (chat) model either
has no FIM tokens (the server cannot build a completion prompt at all) or has them but was
tuned for conversations and fills the middle badly. The tokens are resolved exactly as the
engine host resolves them (prompts/fim.py), on the model's vocabulary alone (no weights).
"""

from __future__ import annotations

import re

from ..engine.base import EngineError
from ..engine.llama_cpp_vocab import LlamaVocab
from ..engine.onnx_vocab import OnnxVocab
from ..prompts.fim import resolve_fim_tokens
from ..prompts.vocabulary import SpecialTokens
from ..settings import Settings
from .check import USE_SUGGESTED_MODEL, Check, failed, ok, skipped, warning
from .model_file import ModelFile

NAME = "FIM tokens"
# How instruct and chat models are named: Qwen2.5-Coder-7B-Instruct, deepseek-coder-6.7b-instruct,
# codegemma-7b-it, ...-chat.
INSTRUCT_NAME = re.compile(r"instruct|chat|(?<![a-z0-9])it(?![a-z0-9])", re.IGNORECASE)
INSTRUCT_MESSAGE = "this looks like an instruct model: inline completion needs a base model with FIM tokens"


class NamedVocabulary:
    """A vocabulary as resolve_fim_tokens reads it (it names the model in its messages)."""

    def __init__(self, vocab: LlamaVocab | OnnxVocab, name: str) -> None:
        self.name = name
        self.special: SpecialTokens = vocab.special
        self._vocab = vocab

    def tokenize(self, text: str) -> list[int]:
        return self._vocab.tokenize(text)

    def token_id(self, piece: str) -> int:
        return self._vocab.token_id(piece)


def looks_like_instruct(model: ModelFile) -> bool:
    """A chat template and an instruct-style name (file or general.name)."""
    assert model.path is not None
    names = f"{model.name} {model.path.stem}"
    return bool(model.metadata.get("tokenizer.chat_template")) and bool(INSTRUCT_NAME.search(names))


def check_fim_tokens(settings: Settings, model: ModelFile) -> Check:
    if model.path is None:
        if model.check.verdict == "skipped":
            return skipped(NAME, model.check.detail)
        return skipped(NAME, "no model file to read (see the model file check)")
    try:
        vocab = LlamaVocab.load(model.path)
    except EngineError as exc:
        return failed(NAME, str(exc), f"llama.cpp cannot read this model; {USE_SUGGESTED_MODEL}")
    family = settings.model.fim_family
    try:
        fim = resolve_fim_tokens(NamedVocabulary(vocab, model.name), family)
    except EngineError:
        wanted = "fill-in-the-middle tokens" if family == "auto" else f"the {family} FIM tokens (model.fimFamily)"
        if model.metadata.get("tokenizer.chat_template"):
            why = f"; it has a chat template: {INSTRUCT_MESSAGE}"
        else:
            why = ": inline completion needs a base model with FIM tokens"
        fix = (
            USE_SUGGESTED_MODEL if family == "auto" else f"set infill.model.fimFamily to auto, or {USE_SUGGESTED_MODEL}"
        )
        return failed(NAME, f"{model.name} has no {wanted}{why}", fix)
    finally:
        vocab.close()
    found = f"{fim.family} template, {fim.order.upper()} order (prefix {fim.prefix}, suffix {fim.suffix}"
    found += f", middle {fim.middle})" if fim.middle >= 0 else ")"
    if looks_like_instruct(model):
        return warning(
            NAME, f"{model.name}: {INSTRUCT_MESSAGE} (found: {found}, and a chat template)", USE_SUGGESTED_MODEL
        )
    return ok(NAME, found)
