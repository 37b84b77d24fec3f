"""Prompts for generated hover summaries: the symbol's source with an empty docstring or doc
comment where the model writes the summary, and the cleanup of what it writes."""

from pathlib import Path

from lsp_server.hover import clean_summary, summary_prompt_for
from lsp_server.hover.summaries import chat_summary_message
from lsp_server.index import Symbol


def symbol(name, start, end, language="python", kind="function"):
    return Symbol(kind, name, name, f"def {name}()", "", start, 0, end, 0, None, "h", Path("/w/a.py"), language)


PYTHON = """import os


@cache
def scale(values,
          factor=2):  # a comment: with a colon
    result = [v * factor for v in values]
    return result


def one_liner(): return 1
"""


def test_python_prompt_puts_an_empty_docstring_after_a_multiline_header():
    prompt = summary_prompt_for(symbol("scale", 3, 7), PYTHON)
    assert prompt.prefix.endswith('          factor=2):  # a comment: with a colon\n    """')
    assert prompt.prefix.startswith("import os")  # lines before the symbol give context
    assert prompt.suffix.startswith('"""\n    result = [v * factor')
    assert prompt.suffix.rstrip().endswith("return result")
    assert '"""' in prompt.stop and "\n" in prompt.stop


def test_python_one_line_body_has_no_place_for_a_docstring():
    assert summary_prompt_for(symbol("one_liner", 10, 10), PYTHON) is None


def test_other_languages_use_their_doc_comment_before_the_declaration():
    ts = "import { x } from './x';\n\n  export function add(a: number, b: number) {\n    return a + b;\n  }\n"
    prompt = summary_prompt_for(symbol("add", 2, 4, "typescript"), ts)
    assert prompt.prefix.endswith("\n  /** ")
    assert prompt.suffix.startswith(" */\n  export function add")
    go = "package main\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"
    prompt = summary_prompt_for(symbol("Add", 2, 4, "go"), go)
    assert prompt.prefix.endswith("package main\n\n// ") and prompt.suffix.startswith("\nfunc Add")


def test_symbol_outside_the_text_gives_no_prompt():
    assert summary_prompt_for(symbol("gone", 50, 60), PYTHON) is None


def test_clean_summary():
    assert clean_summary("  scale the values by a factor.  ") == "Scale the values by a factor."
    assert clean_summary('Return the sum."""') == "Return the sum."
    assert clean_summary(" */ ") == ""
    assert clean_summary("12 + 3") == ""
    long = clean_summary("word " * 100)
    assert len(long) <= 245 and long.endswith("…")


def test_an_explain_model_is_asked_in_a_chat_message_with_the_symbols_source():
    message = chat_summary_message(symbol("scale", 3, 7), PYTHON)
    assert message.startswith("Write the one-sentence summary of `scale` for its documentation")
    source = (
        "@cache\ndef scale(values,\n          factor=2):  # a comment: with a colon\n"
        "    result = [v * factor for v in values]\n    return result"
    )
    assert message.endswith(f"```python\n{source}\n```")
    assert chat_summary_message(symbol("gone", 50, 60), PYTHON) is None


def test_who_writes_summaries(tmp_path):
    from types import SimpleNamespace

    from lsp_server.engine.explain_host import ExplainModelHost
    from lsp_server.engine.host import EMBEDDED_MODEL, EngineHost, EngineState
    from lsp_server.engine.worker import ModelWorker
    from lsp_server.hover.service import HoverService
    from lsp_server.settings import parse_settings

    host = EngineHost(ModelWorker())
    host.state, host.fim = EngineState("ready"), object()
    current = {}
    service = HoverService(
        lambda: None, host, lambda: current["settings"], lambda coro: None, explain_host=ExplainModelHost(host)
    )

    def way(model_path, **raw):
        host.engine = SimpleNamespace(path=model_path, name="m")
        current["settings"] = parse_settings(raw)[0]
        return service._summary_way()

    chat = str(tmp_path / "chat.gguf")
    assert way(EMBEDDED_MODEL) is None  # the placeholder model writes none
    assert way(EMBEDDED_MODEL, explain={"model": chat}) == "chat"  # an explain model does
    assert way(tmp_path / "base.gguf") == "fim"  # a real completion model, as fill-in-the-middle
    assert way(tmp_path / "base.gguf", explain={"model": chat}) == "chat"
    assert way(tmp_path / "base.gguf", hover={"generatedSummaries": False}, explain={"model": chat}) is None
    service.shutdown()
    host.worker.shutdown()
