"""The tokenizer of an ONNX model folder, through the Hugging Face `tokenizers` library.

ONNX Runtime GenAI has a tokenizer of its own, but its encode() always parses special tokens:
`og.Tokenizer.encode("a <fim_middle> b")` gives the <fim_middle> id. Source code must never
become a control token (a file that contains "<fim_middle>" would otherwise end the prompt
where the user typed it), so user text is tokenized here, from the folder's tokenizer.json, by
a copy of the tokenizer on which every control token is marked special and special tokens are
encoded as plain text (`encode_special_tokens`, the library's split-special-tokens switch).
Template text written by Infill itself goes through the unchanged tokenizer, control tokens
parsed, as llama.cpp's `special=True` does.

The control token ids (BOS, EOS, the FIM tokens) come from genai_config.json and from the
tokenizer's added tokens, matched against the FIM families Infill knows (prompts/fim.py). The
FIM order comes from `infill.json` beside the model (written by models/build_test_onnx.py for
the embedded model, which fills in SPM order); without it, PSM as for every published model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..prompts.fim import TEMPLATES
from ..prompts.vocabulary import FimOrder
from .base import EngineError, SpecialTokens
from .onnx_folder import TOKENIZER_FILE, OnnxModelInfo

SIDECAR_FILE = "infill.json"
# End-of-turn texts of instruct models; the first one the vocabulary has is the EOT token.
EOT_TEXTS = ("<|eot_id|>", "<|EOT|>", "<|im_end|>", "<|end|>", "<EOT>")
FIM_PAD_TEXTS = ("<fim_pad>", "<|fim_pad|>")


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EngineError(f"cannot read {path}: {exc}") from exc
    return value if isinstance(value, dict) else {}


def _token_text(value: Any) -> str | None:
    """A token as tokenizer_config.json writes it: a string or {"content": ...}."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return None


class OnnxVocab:
    """Tokenize and detokenize for an ONNX model folder; the Vocabulary protocol and more."""

    def __init__(self, info: OnnxModelInfo) -> None:
        from tokenizers import Tokenizer

        folder = info.folder
        try:
            raw = json.loads((folder / TOKENIZER_FILE).read_text(encoding="utf-8"))
            self._control = Tokenizer.from_str(json.dumps(raw))
        except Exception as exc:  # the library raises plain Exception subclasses on bad JSON
            raise EngineError(f"cannot load {folder / TOKENIZER_FILE}: {exc}") from exc
        self.config = _read_json(folder / "tokenizer_config.json")
        self.sidecar = _read_json(folder / SIDECAR_FILE)
        self._added = {token.content: token_id for token_id, token in self._control.get_added_tokens_decoder().items()}
        self.special = self._special_tokens(info)
        self._eos_ids = frozenset(info.eos_ids)
        self._control_ids = frozenset(
            token_id for token_id, token in self._control.get_added_tokens_decoder().items() if token.special
        ) | frozenset(t for t in self._own_control_ids() if t >= 0)
        self._user = self._user_tokenizer(raw)
        # Text of generated tokens is decoded after this anchor (a newline), so that a tokenizer
        # whose decoder strips the first leading space (SentencePiece) keeps it.
        self._anchor = self._user.encode("\n", add_special_tokens=False).ids[-1:]
        self._anchor_text = self._control.decode(self._anchor, skip_special_tokens=False)

    def _user_tokenizer(self, raw: dict[str, Any]):
        """The tokenizer for user text: every control token special, and special tokens
        tokenized as the text they are made of."""
        from tokenizers import Tokenizer

        control_texts = {text for text, token_id in self._added.items() if token_id in self._control_ids}
        for token in raw.get("added_tokens", []):
            if token.get("content") in control_texts:
                token["special"] = True
        user = Tokenizer.from_str(json.dumps(raw))
        user.encode_special_tokens = True
        return user

    def _own_control_ids(self) -> list[int]:
        s = self.special
        return [s.bos, s.eos, s.eot, s.fim_prefix, s.fim_suffix, s.fim_middle, s.fim_pad, s.fim_repo, s.fim_file_sep]

    def _id_of(self, text: str | None) -> int:
        if not text:
            return -1
        token_id = self._added.get(text)
        return token_id if token_id is not None else -1

    def _special_tokens(self, info: OnnxModelInfo) -> SpecialTokens:
        config = self.config
        eos = info.eos_ids[0] if info.eos_ids else self._id_of(_token_text(config.get("eos_token")))
        bos = info.bos_id if info.bos_id >= 0 else self._id_of(_token_text(config.get("bos_token")))
        eot = next((self._id_of(t) for t in EOT_TEXTS if t in self._added), eos)
        prefix = suffix = middle = repo = file_sep = -1
        for template in TEMPLATES.values():
            ids = [self._id_of(template.prefix), self._id_of(template.suffix)]
            if template.middle:
                ids.append(self._id_of(template.middle))
            if min(ids) >= 0:
                prefix, suffix = ids[0], ids[1]
                middle = ids[2] if template.middle else -1
                repo, file_sep = self._id_of(template.repo_name), self._id_of(template.file_sep)
                break
        order: FimOrder = "spm" if self.sidecar.get("fim_order") == "spm" else "psm"
        return SpecialTokens(
            bos=bos,
            eos=eos,
            eot=eot,
            fim_prefix=prefix,
            fim_suffix=suffix,
            fim_middle=middle,
            fim_pad=next((self._id_of(t) for t in FIM_PAD_TEXTS if t in self._added), -1),
            fim_repo=repo,
            fim_file_sep=file_sep,
            add_bos=self._adds_bos(bos),
            fim_order=order,
        )

    def _adds_bos(self, bos: int) -> bool:
        """Whether the model wants BOS first: tokenizer_config.json's add_bos_token, else
        whether the tokenizer's own post-processor puts a special token in front."""
        if isinstance(self.config.get("add_bos_token"), bool):
            return bool(self.config["add_bos_token"])
        if bos < 0:
            return False
        probe = self._control.encode("a", add_special_tokens=True).ids
        return bool(probe) and probe[0] == bos

    @property
    def name(self) -> str | None:
        value = self.sidecar.get("name")
        return value if isinstance(value, str) and value else None

    def tokenize(self, text: str) -> list[int]:
        """User text: control-token strings stay plain text."""
        return self._user.encode(text, add_special_tokens=False).ids

    def tokenize_control(self, text: str) -> list[int]:
        """Template text written by Infill itself: control tokens parsed. Never user text."""
        return self._control.encode(text, add_special_tokens=False).ids

    def token_id(self, piece: str) -> int:
        ids = self.tokenize_control(piece)
        return ids[0] if len(ids) == 1 else -1

    def detokenize(self, tokens: list[int], special: bool = False) -> str:
        return self._control.decode(tokens, skip_special_tokens=not special)

    def generated_text(self, tokens: list[int]) -> str:
        """The text of generated tokens, as it continues a prompt: decoded after the anchor,
        with an unfinished UTF-8 character at the end left for the next token."""
        text = self._control.decode(self._anchor + tokens, skip_special_tokens=True)
        text = text[len(self._anchor_text) :] if text.startswith(self._anchor_text) else self.detokenize(tokens)
        return text.rstrip("\ufffd")

    def is_control(self, token: int) -> bool:
        return token in self._control_ids

    def is_end_of_generation(self, token: int) -> bool:
        return token in self.special.stop_ids() or token in self._eos_ids

    def chat_template(self, folder: Path) -> str | None:
        template = self.config.get("chat_template")
        if isinstance(template, str) and template:
            return template
        jinja = folder / "chat_template.jinja"
        return jinja.read_text(encoding="utf-8") if jinja.is_file() else None
