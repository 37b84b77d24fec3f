"""CrossFileContext: what the completion service gets, as prompt token ids."""

from __future__ import annotations

from pathlib import Path

from workspace_fixture import FILES, make_workspace

from lsp_server.context.provider import CrossFileContext
from lsp_server.context.recent import RecentEdits
from lsp_server.prompts.fim import FimTokens

REPO_NAME, FILE_SEP = 1001, 1002
STARCODER = FimTokens("starcoder", prefix=1, suffix=2, middle=3, order="psm", repo_name=REPO_NAME, file_sep=FILE_SEP)


def tokenize(text: str) -> list[int]:
    return [2000 + ord(char) for char in text]


def detokenize(ids: list[int]) -> str:
    names = {REPO_NAME: "<repo_name>", FILE_SEP: "<file_sep>"}
    return "".join(names.get(i, chr(i - 2000) if i >= 2000 else f"<{i}>") for i in ids)


def context_for(context, root: Path, text: str, window=(0, 0), budget=400):
    path = root / "ws" / "app" / "main.py"
    return context.prompt_tokens(path, text, len(text), window, budget, 50.0, tokenize, STARCODER, "python")


def test_imported_definition_rendered_in_repository_format(tmp_path):
    index = make_workspace(tmp_path)
    text = FILES["app/main.py"] + "\n\ndef other():\n    return make_circle("
    ids, result = context_for(CrossFileContext(lambda: index), tmp_path, text)
    prompt = detokenize(ids)
    assert prompt.startswith("<repo_name>ws\n")
    assert "<file_sep>pkg/shapes.py\n" in prompt and "def make_circle(radius):" in prompt
    assert prompt.endswith("<file_sep>app/main.py\n")  # the current file comes last
    assert result.snippets and result.elapsed_ms >= 0


def test_budget_bounds_the_tokens(tmp_path):
    index = make_workspace(tmp_path)
    text = FILES["app/main.py"] + "\n\ndef other():\n    return make_circle("
    ids, result = context_for(CrossFileContext(lambda: index), tmp_path, text, budget=250)
    assert 0 < len(ids) <= 250  # the rendered tokens, headers included, fit


def test_no_index_or_no_budget_gives_nothing(tmp_path):
    assert context_for(CrossFileContext(lambda: None), tmp_path, "x = 1") == ([], None)
    index = make_workspace(tmp_path)
    assert context_for(CrossFileContext(lambda: index), tmp_path, "x = 1", budget=0) == ([], None)


def test_recent_edits_of_other_files_are_offered(tmp_path):
    index = make_workspace(tmp_path)
    recent = RecentEdits()
    other = tmp_path / "ws" / "pkg" / "geometry" / "util.py"
    recent.note_edit(other, FILES["pkg/geometry/util.py"], 1)
    ids, result = context_for(CrossFileContext(lambda: index, recent), tmp_path, "value = 1\n")
    assert any(s.kind == "recent" and s.path == other for s in result.snippets)
    assert "def clamp(value, low, high):" in detokenize(ids)


def test_recent_range_text_is_cut_lazily_and_clamped(tmp_path):
    recent = RecentEdits(radius=2)
    recent.note_edit(tmp_path / "a.py", "l0\nl1\nl2\nl3", 3)
    (item,) = recent.ranges()
    assert (item.start_line, item.end_line, item.text) == (1, 3, "l1\nl2\nl3")
    recent.note_edit(tmp_path / "b.py", "\n\n\n", 1)
    assert [r.path.name for r in recent.ranges()] == ["a.py"]  # blank ranges are left out


def test_typing_a_word_reuses_the_last_answer_until_its_inputs_change(tmp_path):
    index = make_workspace(tmp_path)
    context = CrossFileContext(lambda: index)
    base = FILES["app/main.py"] + "\n\ndef other():\n    return make_circle(ra"
    first = context_for(context, tmp_path, base)
    assert context_for(context, tmp_path, base + "dius")[1] is first[1]
    # A new token boundary (the word is done) gathers again.
    again = context_for(context, tmp_path, base + "dius)")
    assert again[1] is not first[1]
    assert context_for(context, tmp_path, base + "dius) + ")[1] is again[1]  # operators: same names
    assert context_for(context, tmp_path, base + "dius) + util.")[1] is not again[1]  # `util.` matters
    # So does any change to the index (a file re-parsed).
    index.update_document(tmp_path / "ws" / "pkg" / "shapes.py", FILES["pkg/shapes.py"] + "\nX = 1\n")
    assert context_for(context, tmp_path, base + "dius)")[1] is not again[1]
