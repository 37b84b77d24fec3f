"""Stand-in token ids for a remote model whose tokenizer Infill does not have.

The completion pipeline budgets prompts in tokens and builds them as token ids
(engine.tokenize, then control ids around them). For a remote server without a
local copy of its tokenizer, this class gives reversible ids: text is cut into
word / digit / punctuation / whitespace pieces, each piece gets an id from a
table, and the ids turn back into exactly the same text. The count is an
estimate of the server's real count: on Python and TypeScript sources it came
out 1.1-1.35x the StarCoder and Qwen2 token counts and 0.98-1.08x DeepSeek-Coder's
(about 3.5 characters per piece), so the prompt budget is rarely exceeded.

Control tokens exist only as the texts of one FIM template (the model's
family): they get the low ids, are produced only by tokenize_control/token_id,
and never by tokenize, which is what keeps user text from becoming control
tokens on Infill's side. (The server re-tokenizes the text it receives; see
remote_prompt.py for what protects the text there.)
"""

from __future__ import annotations

import re
import threading

from ..prompts.fim import FimTemplate
from .base import SpecialTokens

# Letters in runs of up to 10 (long identifiers are several tokens for any BPE),
# one digit, one other symbol, a newline, a run of blanks.
PIECE = re.compile(r" ?[A-Za-z]{1,10}| ?\d| ?[^\sA-Za-z\d]|\n|[ \t]+|\s")


class EstimatingTokenizer:
    def __init__(self, template: FimTemplate) -> None:
        controls = [
            template.prefix,
            template.suffix,
            template.middle,
            template.repo_name,
            template.file_sep,
            *template.stop,
        ]
        # Grows with the distinct words of the files seen (tens of thousands of short
        # strings); never reset, so ids stay valid wherever they are kept.
        self._pieces: list[str] = []
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()
        self.control_ids: dict[str, int] = {}
        for text in controls:
            if text and text not in self.control_ids:
                self.control_ids[text] = len(self._pieces)
                self._pieces.append(text)
        self._n_control = len(self._pieces)
        eos = self.control_ids.get(template.stop[0], -1) if template.stop else -1
        self.special = SpecialTokens(eos=eos, eot=eos)

    def is_control(self, token: int) -> bool:
        return 0 <= token < self._n_control

    def _intern(self, piece: str) -> int:
        token = self._ids.get(piece)
        if token is None:
            with self._lock:  # ids must stay unique if two threads tokenize new text at once
                token = self._ids.get(piece)
                if token is None:
                    self._pieces.append(piece)
                    token = self._ids[piece] = len(self._pieces) - 1
        return token

    def tokenize(self, text: str) -> list[int]:
        return [self._intern(piece) for piece in PIECE.findall(text)]

    def tokenize_control(self, text: str) -> list[int]:
        """Template text: the control texts in it become control ids."""
        if not self.control_ids:
            return self.tokenize(text)
        pattern = "(" + "|".join(re.escape(c) for c in sorted(self.control_ids, key=len, reverse=True)) + ")"
        tokens: list[int] = []
        for i, part in enumerate(re.split(pattern, text)):
            tokens += [self.control_ids[part]] if i % 2 else self.tokenize(part)
        return tokens

    def token_id(self, piece: str) -> int:
        return self.control_ids.get(piece, -1)

    def piece(self, token: int) -> str:
        return self._pieces[token]

    def detokenize(self, tokens: list[int], special: bool = False) -> str:
        return "".join(self._pieces[t] for t in tokens if special or not self.is_control(t))
