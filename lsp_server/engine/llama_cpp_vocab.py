"""A model's tokenizer through llama.cpp: the local engine's, or a vocabulary alone.

LlamaCppEngine tokenizes with the model it runs; the remote engine can load just
the vocabulary of the served model from a local GGUF (`vocab_only`: no weights,
~0.1 s) so that its prompts are exact token ids, with user text tokenized as
plain text (special=False) and control tokens added by id.
"""

from __future__ import annotations

from pathlib import Path

from .base import FIM_ORDER_KEY, EngineError, SpecialTokens
from .llama_cpp_loading import create_llama


class LlamaVocab:
    """Tokenizer calls on a llama_cpp.Llama (full model or vocab-only)."""

    def __init__(self, llm) -> None:
        import llama_cpp

        self._llama_cpp = llama_cpp
        self._llm = llm
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self.special = self._read_special_tokens()

    @classmethod
    def load(cls, path: Path) -> LlamaVocab:
        """The vocabulary of a GGUF file, without its weights."""
        import llama_cpp

        try:
            llm = create_llama(llama_cpp, model_path=str(path), vocab_only=True, n_ctx=256)
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(f"llama.cpp could not read the vocabulary of {path}: {exc}") from exc
        return cls(llm)

    def _read_special_tokens(self) -> SpecialTokens:
        lc, vocab = self._llama_cpp, self._vocab
        return SpecialTokens(
            bos=lc.llama_vocab_bos(vocab),
            eos=lc.llama_vocab_eos(vocab),
            eot=lc.llama_vocab_eot(vocab),
            fim_prefix=lc.llama_vocab_fim_pre(vocab),
            fim_suffix=lc.llama_vocab_fim_suf(vocab),
            fim_middle=lc.llama_vocab_fim_mid(vocab),
            fim_pad=lc.llama_vocab_fim_pad(vocab),
            fim_repo=lc.llama_vocab_fim_rep(vocab),
            fim_file_sep=lc.llama_vocab_fim_sep(vocab),
            add_bos=bool(lc.llama_vocab_get_add_bos(vocab)),
            fim_order="spm" if self._llm.metadata.get(FIM_ORDER_KEY) == "spm" else "psm",
        )

    @property
    def n_ctx_train(self) -> int:
        """The model's training context from the GGUF metadata (0 when it has none, as in a
        vocabulary-only GGUF); llama.cpp reports 0 for any file loaded vocab_only."""
        metadata = self._llm.metadata
        try:
            return int(metadata.get(f"{metadata.get('general.architecture')}.context_length", 0))
        except ValueError:
            return 0

    @property
    def metadata(self) -> dict:
        return self._llm.metadata

    def tokenize(self, text: str) -> list[int]:
        # special=False: control-token text in a source file stays plain text.
        data = text.encode("utf-8", errors="replace")
        return self._llm.tokenize(data, add_bos=False, special=False)

    def tokenize_control(self, text: str) -> list[int]:
        """Token ids of template text written by Infill itself (chat templates): control
        tokens in it are parsed. Never call this on user text."""
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def token_id(self, piece: str) -> int:
        ids = self._llm.tokenize(piece.encode("utf-8"), add_bos=False, special=True)
        return ids[0] if len(ids) == 1 else -1

    def detokenize(self, tokens: list[int], special: bool = False, prev_tokens: list[int] | None = None) -> bytes:
        return self._llm.detokenize(tokens, prev_tokens=prev_tokens, special=special)

    def is_control(self, token: int) -> bool:
        return bool(self._llama_cpp.llama_vocab_is_control(self._vocab, token))

    def is_end_of_generation(self, token: int) -> bool:
        return bool(self._llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def close(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()
