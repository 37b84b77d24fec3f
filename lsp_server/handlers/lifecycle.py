"""initialize / initialized / workspace/didChangeConfiguration / shutdown.

Settings arrive as initializationOptions and, when the client supports it,
as the "infill" section of workspace/configuration (which wins). The model
loads in the background after initialized, so the server answers at once.
"""

from __future__ import annotations

import logging

from lsprotocol import types

from .workspace_index import start_indexing

log = logging.getLogger(__name__)


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


async def _pull_configuration(server) -> None:
    raw = server.init_options
    capabilities = server.client_capabilities.workspace
    if capabilities is not None and capabilities.configuration:
        try:
            sections = await server.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="infill")])
            )
            section = sections[0] if sections else None
            if isinstance(section, dict) and section and isinstance(raw, (dict, type(None))):
                raw = _merge(raw or {}, section)
        except Exception as exc:  # a client that cannot answer: keep initializationOptions
            log.warning("workspace/configuration failed: %s", exc)
    server.apply_settings(raw)


def register(server) -> None:
    @server.feature(types.INITIALIZE)
    def on_initialize(ls, params: types.InitializeParams) -> None:
        # Applied (and reported when invalid) once the client is initialized.
        ls.init_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    async def on_initialized(ls, params: types.InitializedParams) -> None:
        async def start() -> None:
            await _pull_configuration(ls)
            ls.spawn(start_indexing(ls))
            await ls.reload_engine_if_needed()

        ls.spawn(start())

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def on_configuration_changed(ls, params: types.DidChangeConfigurationParams) -> None:
        async def update() -> None:
            settings = params.settings
            if isinstance(settings, dict) and isinstance(settings.get("infill"), dict):
                base = ls.init_options if isinstance(ls.init_options, dict) else {}
                ls.init_options = _merge(base, settings["infill"])
            await _pull_configuration(ls)
            await ls.reload_engine_if_needed()

        ls.spawn(update())

    @server.feature(types.SHUTDOWN)
    def on_shutdown(ls, params) -> None:
        ls.worker.shutdown()
        ls.hover.shutdown()
        ls.index_host.shutdown()
