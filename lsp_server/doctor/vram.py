"""Check 'VRAM plan': how many layers of the model fit model.vramBudgetMb at model.nCtx.

The same plan the engine makes when it loads the model with model.nGpuLayers unset
(engine/llama_cpp_engine.py choose_offload): layers that do not fit run on the CPU, which is
several times slower. The plan is shown also for a CPU-only build, so that a budget that is
too small is caught before a GPU build is installed.
"""

from __future__ import annotations

from ..engine.llama_cpp_engine import gpu_offload_available
from ..modelfiles.vram import MIB, plan_offload, read_model_shape
from ..settings import Settings
from .check import Check, ok, skipped, warning
from .model_file import ModelFile

NAME = "VRAM plan"


def _gpu_build() -> bool:
    try:
        return gpu_offload_available()
    except Exception:  # no llama.cpp at all: the llama.cpp check says so
        return False


def check_vram(settings: Settings, model: ModelFile) -> Check:
    if settings.engine.kind != "llama_cpp":
        return skipped(NAME, f"engine.kind is {settings.engine.kind}: no model runs here")
    if model.path is None:
        return skipped(NAME, "no model file to plan for (see the model file check)")
    m = settings.model
    if m.n_gpu_layers == 0:
        return ok(NAME, "CPU only (model.nGpuLayers is 0)")
    try:
        shape = read_model_shape(model.path)
    except Exception as exc:  # an unusual tensor table: the engine then offloads every layer
        return warning(
            NAME,
            f"the tensor table does not read ({exc}); llama.cpp will try all layers",
            "set infill.model.nGpuLayers to the number of layers that fit your GPU",
        )
    n_ctx = min(m.n_ctx, shape.n_ctx_train) if shape.n_ctx_train > 0 else m.n_ctx
    plan = plan_offload(shape, n_ctx, m.vram_budget_mb * MIB)
    where = "" if _gpu_build() else " (the plan for a GPU build; this build runs on the CPU)"
    detail = f"{plan.summary()} at n_ctx {n_ctx}{where}"
    if m.n_gpu_layers is not None:
        return ok(NAME, f"model.nGpuLayers is {m.n_gpu_layers}, which overrides the plan: {detail}")
    if plan.layers_on_gpu < shape.n_layers:
        on_cpu = shape.n_layers - plan.layers_on_gpu
        return warning(
            NAME,
            f"{detail}: the model does not fit model.vramBudgetMb {m.vram_budget_mb}; {on_cpu} layers run on the CPU",
            "raise infill.model.vramBudgetMb if the GPU has more memory, lower infill.model.nCtx, "
            "or use a smaller model",
        )
    return ok(NAME, detail)
