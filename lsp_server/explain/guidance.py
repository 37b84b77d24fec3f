"""What Explain Selection answers when no model can explain: why, and how to get one.

A fill-in-the-middle model (the embedded one above all) continues code; asked to explain,
it writes code or `#` line after line. Rather than show that, Explain says so and names the
model to pull and the setting that uses it.
"""

from __future__ import annotations

from ..engine.explain_host import ExplainChoice

RECOMMENDED = "qwen2.5-coder-1.5b-instruct"
RECOMMENDED_LARGE = "qwen2.5-coder-7b-instruct"


def _why(choice: ExplainChoice) -> str:
    if choice.reason == "disabled":
        return "No model runs (`infill.engine.kind` is `none`)."
    if choice.reason == "embedded":
        return (
            "The completion model is Infill's small embedded model: it completes code, "
            "but it cannot follow an instruction."
        )
    name = f"`{choice.model_name}`" if choice.model_name else "The completion model"
    return f"{name} has no chat template: it completes code, but it cannot follow an instruction."


def no_model_markdown(choice: ExplainChoice) -> str:
    """The answer to Explain Selection when `choice.source` is "none"."""
    return "\n\n".join(
        [
            "**No chat model is configured for Explain.**",
            _why(choice),
            "To explain code, get an instruct (chat) model and set it as the explain model:",
            f"```sh\ninfill models pull {RECOMMENDED}\n```",
            f'then set `infill.explain.model` to `"{RECOMMENDED}"` (or to the path of any instruct GGUF '
            f"model). It also writes the summaries that hover shows for undocumented code. With a GPU of "
            f"8 GB or more, `{RECOMMENDED_LARGE}` explains better.",
        ]
    )
