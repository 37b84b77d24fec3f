"""The remote engine: completions from an OpenAI-compatible server a team runs.

Settings: engine.kind "remote", engine.url (http://host:port, with or without
/v1), engine.model (default: the server's first), engine.apiKeyEnv (the name of
an environment variable holding the key), engine.api ("auto", "openai",
"infill"), timeouts, engine.verifyTls. model.path, when set, names a local GGUF
with the served model's tokenizer (a vocab-only file is enough).

Tokens. The completion pipeline budgets and builds prompts as token ids. With a
local tokenizer they are the model's real ids and go to the server as a list of
ids (llama.cpp server, vLLM); a server that refuses id lists (llama-cpp-python's)
gets text instead. Without one, ids come from EstimatingTokenizer (an estimate
of the count, reversible to the same text) and the prompt goes as text, or as
/infill fields on a llama.cpp server. remote_prompt.py says why user text can
never become control tokens on any of these paths.

Everything here runs on the model thread, like the local engine; generate()
checks the stop flag after every streamed token and hangs up when it is raised.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
import typing
from pathlib import Path

from ..prompts.fim import TEMPLATES, FimTokens, resolve_fim_tokens
from ..settings import Settings
from ..settings.schema import RemoteApi
from .base import (
    EngineError,
    GenerationRequest,
    GenerationResult,
    ProbabilityFloor,
    SpecialTokens,
    StopReason,
    TokenScore,
    scores_before,
)
from .remote_http import RemoteClient, RemoteError
from .remote_prompt import infill_fields, prompt_text
from .text_tokens import EstimatingTokenizer

log = logging.getLogger(__name__)

APIS: tuple[str, ...] = typing.get_args(RemoteApi)
# Several candidates (OpenAI `n`) are samples: a server cannot be told to start them with
# distinct tokens, and greedy ones would all be the same. Low enough to stay close to greedy.
CANDIDATE_TEMPERATURE = 0.6
LLAMA_SERVER, VLLM, OTHER_SERVER = "llama.cpp server", "vLLM", "OpenAI-compatible server"
ID_PROMPT_SERVERS = (LLAMA_SERVER, VLLM)
DRAIN_EVENTS = 4  # events read after the last wanted one, to keep the connection, before hanging up
# Model names -> FIM family, for servers whose tokenizer Infill does not have.
_FAMILY_BY_NAME = (
    (re.compile(r"qwen", re.I), "qwen2.5-coder"),
    (re.compile(r"starcoder", re.I), "starcoder"),
    (re.compile(r"deepseek", re.I), "deepseek-coder"),
    (re.compile(r"codellama|code-llama", re.I), "codellama"),
    (re.compile(r"codestral", re.I), "codestral"),
)


def family_from_name(name: str) -> str | None:
    for pattern, family in _FAMILY_BY_NAME:
        if pattern.search(name):
            return family
    return None


class _EstimatedIds:
    """PromptTokens over EstimatingTokenizer."""

    def __init__(self, tokenizer: EstimatingTokenizer) -> None:
        self._tokenizer = tokenizer

    def is_control(self, token: int) -> bool:
        return self._tokenizer.is_control(token)

    def text(self, tokens: list[int], special: bool = False) -> str:
        return self._tokenizer.detokenize(tokens, special=special)


class _VocabIds:
    """PromptTokens over a local llama.cpp vocabulary."""

    def __init__(self, vocab) -> None:
        self._vocab = vocab

    def is_control(self, token: int) -> bool:
        return self._vocab.is_control(token)

    def text(self, tokens: list[int], special: bool = False) -> str:
        return self._vocab.detokenize(tokens, special=special).decode("utf-8", errors="replace")


class RemoteEngine:
    def __init__(
        self,
        client: RemoteClient,
        model_id: str,
        n_ctx: int,
        api: str,
        tokenizer,
        exact_tokens: bool,
        server_kind: str,
        fim_family: str,
    ) -> None:
        self.client = client
        self.model_id = model_id
        self.n_ctx = n_ctx
        self.api = api
        self._tokenizer = tokenizer  # LlamaVocab or EstimatingTokenizer
        self._ids = _VocabIds(tokenizer) if exact_tokens else _EstimatedIds(tokenizer)
        # Only servers known to take a list of ids as `prompt` get one (llama-cpp-python's
        # server, for one, answers a validation error).
        self.send_token_ids = exact_tokens and api == "openai" and server_kind in ID_PROMPT_SERVERS
        # Ask for per-token log-probabilities until the server refuses them.
        self.want_logprobs = True
        self.special: SpecialTokens = tokenizer.special
        self.server_kind = server_kind
        self.fim_family = fim_family
        self.name = f"{model_id} at {client.base_url}"
        counts = "exact token counts" if exact_tokens else "estimated token counts"
        if api == "infill":
            sends = "/infill, FIM template applied by the server"
        else:
            sends = "/v1/completions with " + ("token ids" if self.send_token_ids else "a text prompt")
        # Shown where the local engine says where its layers went.
        self.offload_report = f"remote {server_kind}, {sends}, {counts}"
        self._fim: FimTokens | None = None  # resolved lazily (only /infill needs them here)

    # -- construction ---------------------------------------------------------------
    @classmethod
    def connect(cls, settings: Settings, vocab_path: str | None = None) -> RemoteEngine:
        """Probe the server (a down one fails here, with the reason) and set up tokens."""
        e = settings.engine
        if not e.url:
            raise EngineError("infill.engine.url is not set (infill.engine.kind is remote)")
        if e.api not in APIS:
            raise EngineError(f"infill.engine.api: {e.api!r} is not one of {', '.join(APIS)}")
        base = re.sub(r"/v1/?$", "", e.url.rstrip("/"))
        client = RemoteClient(
            base, _api_key(e.api_key_env), e.connect_timeout_ms / 1000, e.timeout_ms / 1000, e.verify_tls
        )
        try:
            return cls._set_up(settings, client, vocab_path)
        except BaseException:
            client.close()
            raise

    @classmethod
    def _set_up(cls, settings: Settings, client: RemoteClient, vocab_path: str | None) -> RemoteEngine:
        """The rest of connect(): model, server kind, context size, tokenizer, API."""
        e, base = settings.engine, client.base_url
        models = client.get_json("/v1/models").get("data") or []
        ids: list[str] = [m["id"] for m in models if isinstance(m, dict) and m.get("id")]
        if e.model and ids and e.model not in ids:
            raise EngineError(f"remote server {base} does not serve {e.model!r}; it has: {', '.join(ids)}")
        model_id = e.model or (ids[0] if ids else None)
        if not model_id:
            raise EngineError(f"remote server {base} lists no model; set infill.engine.model")
        card = next((m for m in models if isinstance(m, dict) and m.get("id") == model_id), {})
        props = _llama_server_props(client)
        server_kind = LLAMA_SERVER if props else (VLLM if card.get("owned_by") == "vllm" else OTHER_SERVER)
        n_ctx = _context_length(props, card) or settings.model.n_ctx

        vocab = _load_vocab(vocab_path) if vocab_path else None
        if vocab is not None and not _context_length(props, card) and 0 < vocab.n_ctx_train < n_ctx:
            n_ctx = vocab.n_ctx_train  # as the local engine does: never past the training context
        api = e.api if e.api != "auto" else ("infill" if props and vocab is None else "openai")
        family: str | None  # a FIM family name; None until guessed from the model's name
        if vocab is not None:
            tokenizer, family = vocab, settings.model.fim_family
        else:
            family = settings.model.fim_family
            if family == "auto":
                family = family_from_name(model_id) or family_from_name(str(props.get("model_path", "")))
            if family is None:
                if api != "infill":
                    raise EngineError(
                        f"cannot tell the FIM template of remote model {model_id!r}: set infill.model.fimFamily, "
                        "or infill.model.path to a GGUF with its tokenizer"
                    )
                family = "starcoder"  # /infill: the server applies the real template; these are markers
            tokenizer = EstimatingTokenizer(TEMPLATES[family])
        engine = cls(client, model_id, n_ctx, api, tokenizer, vocab is not None, server_kind, family)
        log.info("remote engine: %s, model %s, n_ctx %d: %s", base, model_id, n_ctx, engine.offload_report)
        return engine

    # -- Engine protocol: tokens ------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        return self._tokenizer.tokenize(text)

    def tokenize_control(self, text: str) -> list[int]:
        return self._tokenizer.tokenize_control(text)

    def token_id(self, piece: str) -> int:
        return self._tokenizer.token_id(piece)

    def detokenize(self, tokens: list[int], special: bool = False) -> str:
        return self._ids.text(tokens, special=special)

    def chat_template(self) -> str | None:
        metadata = getattr(self._tokenizer, "metadata", None)
        return metadata.get("tokenizer.chat_template") if metadata else None

    # -- Engine protocol: generation ------------------------------------------------
    def _stop_texts(self, request: GenerationRequest) -> list[str]:
        stops = list(dict.fromkeys(s for s in request.stop if s))
        for token in request.stop_ids:  # control ids the pipeline stops on, as text for the server
            if self._ids.is_control(token):
                text = self._ids.text([token], special=True)
                if text and text not in stops:
                    stops.append(text)
        return stops

    def _payload(self, request: GenerationRequest, max_tokens: int, stops: list[str]) -> tuple[str, dict]:
        # Greedy, as the local engine decodes; llama-cpp-python's server would otherwise
        # apply its default repeat penalty of 1.1.
        common = {"temperature": 0.0, "top_k": 1, "repeat_penalty": 1.0, "stream": True, "stop": stops}
        if self.api == "infill":
            if self._fim is None:
                self._fim = resolve_fim_tokens(self, self.fim_family)
            fields = infill_fields(request.prompt_tokens, self._ids, self._fim)
            # n_probs: per-token probabilities, for the completion's confidence.
            return "/infill", {**fields, "n_predict": max_tokens, "cache_prompt": True, "n_probs": 1, **common}
        prompt = list(request.prompt_tokens) if self.send_token_ids else prompt_text(request.prompt_tokens, self._ids)
        payload = {"model": self.model_id, "prompt": prompt, "max_tokens": max_tokens, **common}
        if self.want_logprobs:
            payload["logprobs"] = 1
        if request.candidates > 1:
            # With the greedy one known, only the others are wanted: n of them, even one.
            samples = request.candidates - 1 if request.first_known else request.candidates
            payload.update(n=samples, temperature=CANDIDATE_TEMPERATURE)
            del payload["top_k"]
        return "/v1/completions", payload

    def generate(self, request: GenerationRequest) -> GenerationResult:
        started = time.perf_counter()
        n_prompt = len(request.prompt_tokens)
        room = self.n_ctx - n_prompt
        if room <= 1:
            raise EngineError(f"prompt of {n_prompt} tokens does not fit the context of {self.n_ctx}")
        if request.should_stop():
            return GenerationResult("", n_prompt, 0, "cancelled", 0.0, 0.0)
        max_tokens = min(request.max_tokens, room - 1)
        stops = self._stop_texts(request)
        path, payload = self._payload(request, max_tokens, stops)
        try:
            return self._run(path, payload, request, stops, max_tokens, n_prompt, started)
        except RemoteError as exc:
            if self.want_logprobs and exc.status in (400, 422, 500) and "logprob" in str(exc).lower():
                # A server that cannot return log-probabilities: completions go on without confidence.
                log.info("remote server refused logprobs (%s); asking without them from now on", exc)
                self.want_logprobs = False
                path, payload = self._payload(request, max_tokens, stops)
                return self._run(path, payload, request, stops, max_tokens, n_prompt, started)
            if self.send_token_ids and exc.status in (400, 422):
                # llama-cpp-python's server takes text only: fall back for good.
                log.info("remote server refused a token-id prompt (%s); sending text from now on", exc)
                self.send_token_ids = False
                path, payload = self._payload(request, max_tokens, stops)
                return self._run(path, payload, request, stops, max_tokens, n_prompt, started)
            raise

    def _run(self, path, payload, request, stops, max_tokens, n_prompt, started) -> GenerationResult:
        if payload.get("n", 1) > 1:
            return self._run_candidates(path, payload, request, stops, max_tokens, n_prompt, started)
        choice, first = _StreamedChoice(request, stops, max_tokens), 0.0
        # Done, but the server may not know yet: read a few more events, hoping for the
        # end of the stream, so that the connection stays open for the next request.
        finished, extra = False, 0
        events = self.client.stream(path, payload, request.should_stop)
        try:
            for event in events:
                if finished:
                    extra += 1
                    if extra > DRAIN_EVENTS:
                        break
                    continue
                # Per streamed token: the stop flag first, then the stop conditions.
                if request.should_stop():
                    choice.stopped_by = "cancelled"
                    break
                piece, finish = _event_text(event)
                if piece:
                    if not choice.generated:
                        first = time.perf_counter() - started
                    choice.add(piece, event)
                    if choice.done:
                        if choice.stopped_by != "max_tokens":
                            break  # a stop text, a complete text, under the floor: hang up
                        finished = True
                        continue
                if finish:
                    choice.finish(finish)
                    finished = True
        finally:
            events.close()  # hangs up unless the stream had ended
        if not choice.generated and choice.stopped_by == "max_tokens" and request.should_stop():
            choice.stopped_by = "cancelled"  # stopped while waiting to retry
        return choice.result(n_prompt, first, time.perf_counter() - started)

    def _run_candidates(self, path, payload, request, stops, max_tokens, n_prompt, started) -> GenerationResult:
        """A stream of `n` choices, told apart by their index: each one's text, scores and end,
        with the same stop rules as one completion. Choice 0 is the result, the others its
        alternatives. A server that ignores `n` sends choice 0 alone."""
        count = payload["n"]
        choices = [_StreamedChoice(request, stops, max_tokens) for _ in range(count)]
        first = 0.0
        events = self.client.stream(path, payload, request.should_stop)
        try:
            for event in events:
                if request.should_stop():
                    for choice in choices:
                        choice.stopped_by = "cancelled"
                    break
                for item in event.get("choices") or []:
                    i = item.get("index", 0) if isinstance(item, dict) else count
                    if not isinstance(i, int) or not 0 <= i < count or choices[i].done:
                        continue
                    piece, finish = item.get("text") or "", item.get("finish_reason")
                    if piece:
                        first = first or time.perf_counter() - started
                        choices[i].add(piece, {"choices": [item]})
                        if choices[i].done:
                            continue
                    if finish:
                        choices[i].finish(finish)
                if all(choice.done for choice in choices):
                    break
        finally:
            events.close()  # hangs up unless the stream had ended
        total = time.perf_counter() - started
        results = [choice.result(n_prompt, first, total) for choice in choices]
        results[0].alternatives = [r for r in results[1:] if r.generated_tokens]
        return results[0]

    def close(self) -> None:
        self.client.close()
        close = getattr(self._tokenizer, "close", None)
        if close is not None:
            close()


def _event_text(event: dict) -> tuple[str, str | None]:
    """(new text, finish reason or None) of an OpenAI completion chunk or a llama.cpp event."""
    if "choices" in event:
        choice = (event.get("choices") or [{}])[0]
        return choice.get("text") or "", choice.get("finish_reason")
    finish = (event.get("stop_type") or "eos") if event.get("stop") else None
    return event.get("content") or "", finish


def _event_logprobs(event: dict) -> list[tuple[str, float]] | None:
    """(token text, logprob) pairs an event carries, in the formats servers use: OpenAI's
    legacy completions (vLLM, llama-cpp-python), the newer `content` list (llama.cpp server's
    /v1/completions), and llama.cpp's native `completion_probabilities` (old: probabilities)."""
    if "choices" in event:
        logprobs = ((event.get("choices") or [{}])[0] or {}).get("logprobs") or {}
        if isinstance(logprobs.get("token_logprobs"), list):
            values = logprobs["token_logprobs"]
            tokens = logprobs.get("tokens") or [""] * len(values)
            return [(str(t), float(lp)) for t, lp in zip(tokens, values, strict=False) if lp is not None]
        if isinstance(logprobs.get("content"), list):
            return [(str(c.get("token", "")), float(c["logprob"])) for c in logprobs["content"] if "logprob" in c]
        return None
    probabilities = event.get("completion_probabilities")
    if not isinstance(probabilities, list):
        return None
    pairs = []
    for item in probabilities:
        if "logprob" in item:
            pairs.append((str(item.get("token", "")), float(item["logprob"])))
        elif item.get("probs"):  # the chosen token is the most probable one: decoding is greedy
            pairs.append((str(item.get("content", "")), math.log(max(float(item["probs"][0]["prob"]), 1e-12))))
    return pairs


def _add_scores(scores: list[TokenScore] | None, event: dict, start: int, piece: str) -> list[TokenScore] | None:
    """The scores with this event's tokens added; None from the first event without any
    (a server that does not send them sends none)."""
    pairs = _event_logprobs(event) if scores is not None else None
    if not pairs or scores is None:
        return None
    end = start
    for i, (token, logprob) in enumerate(pairs):
        last = i == len(pairs) - 1
        end = start + len(piece) if last else min(end + len(token), start + len(piece))
        scores.append(TokenScore(end, logprob))
    return scores


class _StreamedChoice:
    """One completion as a server streams it: its text, the scores of its tokens (None when the
    server sends none) and its end, by the rules of one completion (a stop text, the caller's
    "complete" check, the probability floor, the token limit, the server's finish reason)."""

    def __init__(self, request: GenerationRequest, stops: list[str], max_tokens: int) -> None:
        self._request, self._stops, self._max_tokens = request, stops, max_tokens
        self._floor = ProbabilityFloor(request.min_logprob)
        self.text, self.generated = "", 0
        self.scores: list[TokenScore] | None = []
        self.stopped_by: StopReason = "max_tokens"
        self.done = False

    def add(self, piece: str, event: dict) -> None:
        """A streamed piece of text and the event that carried it (for its scores)."""
        self.generated += 1
        start, known = len(self.text), len(self.scores or [])
        self.scores = _add_scores(self.scores, event, start, piece)
        self.text += piece
        hit = _first_stop(self.text, self._stops)
        if hit is not None:
            self._end("stop", hit)
        elif self._request.text_is_complete(self.text):
            self._end("complete")
        elif (cut := self._under_floor(start, known)) is not None:
            self._end("unlikely", cut)  # nothing more could be shown: the server may stop
        elif self.generated >= self._max_tokens:
            self.done = True

    def _under_floor(self, start: int, known: int) -> int | None:
        """Where the floor cuts the text after the piece at `start` (its scores: those after the
        first `known`); None while above it, or when the server sends no scores."""
        if self.scores is None:
            return None
        return self._floor.cut(self.text, start, sum(score.logprob for score in self.scores[known:]))

    def finish(self, reason: str) -> None:
        """The server ended the choice (OpenAI's finish_reason, llama.cpp's stop_type)."""
        self.stopped_by = "max_tokens" if reason in ("length", "limit") else "eos"
        self.done = True

    def _end(self, reason: StopReason, cut: int | None = None) -> None:
        if cut is not None:
            self.text = self.text[:cut]
            self.scores = scores_before(self.scores, cut) if self.scores is not None else None
        self.stopped_by, self.done = reason, True

    def result(self, n_prompt: int, first: float, total: float) -> GenerationResult:
        return GenerationResult(
            self.text, n_prompt, self.generated, self.stopped_by, first, total, token_scores=self.scores
        )


def _first_stop(text: str, stops: list[str]) -> int | None:
    positions = [i for s in stops if s and (i := text.find(s)) >= 0]
    return min(positions) if positions else None


def _api_key(variable: str | None) -> str | None:
    if not variable:
        return None
    key = os.environ.get(variable)
    if not key:
        raise EngineError(f"environment variable {variable} (infill.engine.apiKeyEnv) is not set")
    return key


def _llama_server_props(client: RemoteClient) -> dict:
    """llama.cpp server's /props, or {} for any other server."""
    try:
        props = client.get_json("/props")
    except RemoteError as exc:
        if exc.status:  # answered, but not as llama.cpp server does
            return {}
        raise
    return props if isinstance(props, dict) and "default_generation_settings" in props else {}


def _context_length(props: dict, card: dict) -> int | None:
    settings = props.get("default_generation_settings") or {}
    for value in (
        settings.get("n_ctx"),
        props.get("n_ctx"),
        card.get("max_model_len"),
        (card.get("meta") or {}).get("n_ctx_train"),
    ):
        if isinstance(value, int) and value > 0:
            return value
    return None


def _load_vocab(path: str):
    from .llama_cpp_engine import check_model_file
    from .llama_cpp_vocab import LlamaVocab

    return LlamaVocab.load(check_model_file(str(Path(path))))
