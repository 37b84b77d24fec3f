"""The infill/models and infill/pullModel requests: pick a model, or download one, from the editor.

infill/models, no params: the choices for a quick pick (choices.py):
  {"modelPath", "explainModel": the settings as written ("" when unset), "engineKind",
   "vramBudgetMb", "modelsDir",
   "embedded": {"name", "path", "sizeBytes", "inUse"},
   "registry": [{"name", "role": "completion"|"explain", "description", "source", "sizeBytes",
                 "sizeApproximate", "vramMb", "fits", "pulled", "partialBytes", "path", "inUse"}],
   "found": [{"name", "path", "source", "kind", "sizeBytes", "gpuMb", "fits", "fimFamily", "inUse"}],
   "errors": [str]}
  where "inUse" is "completion" (model.path names it), "explain" (explain.model does) or null,
  and "fits" is whether it fits model.vramBudgetMb (null: unknown).

infill/pullModel {"name": REGISTRY_NAME, "workDoneToken"?: str | int}: downloads the registry
model into the models folder, as `infill models pull` does, and returns {"name", "path",
"sizeBytes", "sha256", "resumedFrom", "alreadyPulled"}. Progress goes out as work-done progress
($/progress begin, reports "3.2 of 14.5 MB" with a percentage, end) on the client's token, or
on one the server creates. window/workDoneProgress/cancel on it stops the download and keeps
the .part file: the next pull resumes it with a Range request; the request then fails with
RequestCancelled (-32800). A failed download fails with RequestFailed (-32803) and its
one-line reason; an unknown name with InvalidParams. The server keeps serving either way.
Choosing a model is the editor's part: it writes model.path or explain.model, and the
server reloads through its settings-change path.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcRequestCancelled

from ..feature import Feature
from ..modelfiles.download import DownloadError, DownloadResult
from ..modelfiles.registry import RegistryError, cached_file, get_entry
from ..progress import ClientProgress
from ..server import InfillServer
from .choices import model_choices
from .pull import PullCancelled, progress_text, pull_registry_model

log = logging.getLogger(__name__)

MODELS_REQUEST = "infill/models"
PULL_REQUEST = "infill/pullModel"
REQUEST_FAILED = -32803  # LSP's RequestFailed: the request was valid, the work failed


class ModelChoiceFeature(Feature):
    name = "models"

    def __init__(self, server: InfillServer) -> None:
        self.server = server
        # Downloads running now, by registry name, with their stop: one per model at a time
        # (two would write the same .part file).
        self._pulls: dict[str, threading.Event] = {}

    def register(self) -> None:
        feature = self

        @self.server.feature(MODELS_REQUEST)
        async def models(ls: InfillServer, params: Any) -> dict[str, Any]:
            return await asyncio.to_thread(model_choices, ls.settings)

        @self.server.feature(PULL_REQUEST)
        async def pull_model(ls: InfillServer, params: Any) -> dict[str, Any]:
            name = getattr(params, "name", None)
            token = getattr(params, "workDoneToken", None)
            if not isinstance(name, str) or not name.strip():
                raise JsonRpcInvalidParams(f'{PULL_REQUEST} expects {{"name": "<registry model>"}}')
            if isinstance(token, bool) or not isinstance(token, (str, int, type(None))):
                raise JsonRpcInvalidParams(f"{PULL_REQUEST}: workDoneToken must be a string or an integer")
            return await feature.pull(name.strip(), token)

    def shutdown(self) -> None:
        for stop in self._pulls.values():
            stop.set()  # each download ends at its next block; its .part stays for the next pull

    async def pull(self, name: str, client_token: str | int | None) -> dict[str, Any]:
        try:
            entry = await asyncio.to_thread(get_entry, name)
        except RegistryError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None
        dest = cached_file(entry)
        if dest.is_file():
            return {"name": name, "path": str(dest), "sizeBytes": dest.stat().st_size, "alreadyPulled": True}
        if name in self._pulls:
            raise JsonRpcException(f"{name} is being downloaded already", code=REQUEST_FAILED)

        stop = threading.Event()
        self._pulls[name] = stop
        # A client that sent a token listens on it, whatever it announced.
        progress = ClientProgress(
            self.server, client_token, stop.set, f"download of {name}", listen_to_client_token=True
        )
        try:
            await progress.begin(f"Downloading {name}", percentage=0)  # before the first report
        except BaseException:
            self._pulls.pop(name, None)
            raise
        loop = asyncio.get_running_loop()

        def report(done: int, total: int | None) -> None:  # on the download thread
            loop.call_soon_threadsafe(progress.report, *progress_text(done, total))

        job = asyncio.ensure_future(asyncio.to_thread(pull_registry_model, entry, report, stop))
        # The name is free again only once the download thread is done with the .part file.
        job.add_done_callback(lambda finished: self._pull_ended(name, finished))
        try:
            result: DownloadResult = await asyncio.shield(job)
        except asyncio.CancelledError:  # $/cancelRequest: stop the download too
            stop.set()
            progress.end("Stopped")
            raise
        except PullCancelled:
            progress.end("Cancelled; pick the model again to resume")
            raise JsonRpcRequestCancelled(
                f"the download of {name} was cancelled; it resumes where it stopped when pulled again"
            ) from None
        except (DownloadError, OSError) as exc:
            progress.end(f"Failed: {exc}")
            raise JsonRpcException(f"cannot download {name}: {exc}", code=REQUEST_FAILED) from None
        except Exception:
            progress.end("Failed")
            raise
        progress.end(f"Downloaded {name}")
        log.info("pulled %s -> %s (%d bytes, resumed from %d)", name, result.path, result.size, result.resumed_from)
        return {
            "name": name,
            "path": str(result.path),
            "sizeBytes": result.size,
            "sha256": result.sha256,
            "resumedFrom": result.resumed_from,
            "alreadyPulled": False,
        }

    def _pull_ended(self, name: str, job: asyncio.Future) -> None:
        self._pulls.pop(name, None)
        if not job.cancelled():
            job.exception()  # retrieved here too: a request cancelled meanwhile never awaits it
