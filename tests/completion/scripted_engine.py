"""A scripted engine for the completion service's unit tests: answers chosen from the prompt,
a delay per prompt token and per generated token (an engine slowed on purpose), and a record
of every generation it ran.

Tokens are EstimatingTokenizer's (the remote engine's stand-in ids) with StarCoder's FIM
template, so the real prompt builder and FIM resolution run on it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lsp_server.engine.base import GenerationRequest, GenerationResult, StopReason, TokenScore, scores_before
from lsp_server.engine.host import EngineHost, EngineState
from lsp_server.engine.text_tokens import PIECE, EstimatingTokenizer
from lsp_server.engine.worker import ModelWorker
from lsp_server.prompts.fim import TEMPLATES, resolve_fim_tokens

# prompt parts -> the candidates' texts, most probable first
Answer = Callable[["Prompt"], list[str]]


@dataclass(frozen=True)
class Prompt:
    prefix: str  # the FIM prefix text (the document before the cursor, as far as the prompt goes)
    suffix: str


@dataclass
class Generation:
    request: GenerationRequest
    prompt: Prompt
    result: GenerationResult | None = None
    stopped_early: bool = False


@dataclass
class ScriptedEngine:
    answer: Answer
    token_seconds: float = 0.0
    prompt_token_seconds: float = 0.0
    probability: float = 0.9  # of every generated token
    n_ctx: int = 4096
    name: str = "scripted-model"
    generations: list[Generation] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)  # set while generating

    def __post_init__(self) -> None:
        self._tokenizer = EstimatingTokenizer(TEMPLATES["starcoder"])
        self.special = self._tokenizer.special

    def tokenize(self, text: str) -> list[int]:
        return self._tokenizer.tokenize(text)

    def tokenize_control(self, text: str) -> list[int]:
        return self._tokenizer.tokenize_control(text)

    def token_id(self, piece: str) -> int:
        return self._tokenizer.token_id(piece)

    def detokenize(self, tokens: list[int], special: bool = False) -> str:
        return self._tokenizer.detokenize(tokens, special=special)

    def chat_template(self) -> str | None:
        return None

    def close(self) -> None:
        pass

    def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        text = self.detokenize(request.prompt_tokens, special=True)
        prompt = Prompt(
            text.split("<fim_prefix>", 1)[-1].split("<fim_suffix>", 1)[0],
            text.split("<fim_suffix>", 1)[-1].split("<fim_middle>", 1)[0],
        )
        generation = Generation(request, prompt)
        self.generations.append(generation)
        self.running.set()
        try:
            time.sleep(self.prompt_token_seconds * len(request.prompt_tokens))
            answers = self.answer(prompt)[: max(1, request.candidates)]
            if request.first_known:  # the greedy one is known: an empty result, the others its alternatives
                answers = ["", *answers[1:]]
            answers = answers or [""]
            results = [self._run(PIECE.findall(answer), request, generation, started) for answer in answers]
            first = results[0]
            first.alternatives = results[1:]
            generation.result = first
            return first
        finally:
            self.running.clear()

    def _run(
        self, pieces: list[str], request: GenerationRequest, generation: Generation, started: float
    ) -> GenerationResult:
        """One candidate: its pieces one token each, then the end token."""
        text, scores, count = "", [], 0
        stopped_by: StopReason = "eos"
        logprob = math.log(self.probability)
        for piece in pieces:
            if request.should_stop():
                stopped_by, generation.stopped_early = "cancelled", True
                break
            time.sleep(self.token_seconds)
            count += 1
            text += piece
            scores.append(TokenScore(len(text), logprob))
            hits = [i for s in request.stop if s and (i := text.find(s)) >= 0]
            if hits:
                text, stopped_by = text[: min(hits)], "stop"
                scores = scores_before(scores, min(hits))
                break
            if request.text_is_complete(text):
                stopped_by = "complete"
                break
            if count >= request.max_tokens:
                stopped_by = "max_tokens"
                break
        return GenerationResult(
            text, len(request.prompt_tokens), count, stopped_by, 0.0, time.perf_counter() - started, scores
        )


def ready_host(engine: ScriptedEngine) -> EngineHost:
    """An engine host with `engine` loaded, as after a model load."""
    host = EngineHost(ModelWorker())
    host.engine = engine
    host.fim = resolve_fim_tokens(engine, "starcoder")
    host.state = EngineState("ready", f"{engine.name} ready")
    return host


def by_prefix(table: dict[str, list[str]]) -> Answer:
    """Answers by how the prompt's prefix ends (the longest match wins); none: an empty answer."""
    ordered = sorted(table, key=len, reverse=True)

    def answer(prompt: Prompt) -> list[str]:
        for end in ordered:
            if prompt.prefix.endswith(end):
                return list(table[end])
        return [""]

    return answer
