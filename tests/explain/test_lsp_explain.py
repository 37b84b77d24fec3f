"""End to end: workspace/executeCommand infill.explain with the real engine."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import lsp_session

SOURCE = "def area(width, height):\n    return width * height\n\nprint(area(2, 3))\n"


def explain_params(uri: str, start: tuple[int, int], end: tuple[int, int]) -> types.ExecuteCommandParams:
    rng = {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}
    return types.ExecuteCommandParams(command="infill.explain", arguments=[{"uri": uri, "range": rng}])


def markdown_of(result) -> str:
    return result["markdown"] if isinstance(result, dict) else result.markdown


async def test_explain_selection_returns_model_markdown(test_model, tmp_path):
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path) as s:
        commands = s.initialize_result.capabilities.execute_command_provider.commands
        assert "infill.explain" in commands
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        result = await s.client.workspace_execute_command_async(explain_params(uri, (0, 0), (1, 25)))
        text = markdown_of(result)
        assert text.strip() and "cannot explain" not in text
        # Progress was shown while the model ran.
        reports = [r for rs in s.client.progress_reports.values() for r in rs]
        assert any(isinstance(r, types.WorkDoneProgressBegin) and r.message == "Explaining…" for r in reports)


async def test_explain_empty_selection_is_a_clear_error(test_model, tmp_path):
    async with lsp_session({"model": {"path": str(test_model)}}, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        with pytest.raises(JsonRpcException, match="selection is empty"):
            await s.client.workspace_execute_command_async(explain_params(uri, (2, 0), (2, 0)))
        with pytest.raises(JsonRpcException, match="expects"):
            await s.client.workspace_execute_command_async(
                types.ExecuteCommandParams(command="infill.explain", arguments=["nonsense"])
            )


async def test_explain_without_a_model_says_why(tmp_path):
    async with lsp_session({"model": {"path": str(tmp_path / "missing.gguf")}}, tmp_path) as s:
        uri = (tmp_path / "area.py").as_uri()
        s.open(uri, SOURCE)
        result = await s.client.workspace_execute_command_async(explain_params(uri, (0, 0), (1, 25)))
        assert "missing.gguf" in markdown_of(result)
