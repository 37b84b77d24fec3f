"""The infill/doctor request: the doctor's checks for the editor ("Infill: Check Setup").

No params; the result is {"checks": [{"name", "verdict", "detail", "fix"}, ...]}, verdict one
of "ok", "warning", "failed", "skipped". The checks use the server's current settings and
workspace folders, run off the protocol loop, and the self-test runs on the server's loaded
model (its engine host), never on a second copy of it.
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types

from ..feature import Feature
from ..server import InfillServer, merge_settings
from ..settings import parse_settings
from .report import as_result
from .runner import run_checks

log = logging.getLogger(__name__)

DOCTOR_REQUEST = "infill/doctor"


class DoctorFeature(Feature):
    name = "doctor"

    def __init__(self, server: InfillServer) -> None:
        self.server = server

    def register(self) -> None:
        @self.server.feature(DOCTOR_REQUEST)
        async def doctor(ls: InfillServer, params: Any) -> dict:
            return await self.report()

    async def report(self) -> dict[str, list[dict[str, str]]]:
        ls = self.server
        _, errors = parse_settings(await self._raw_settings())
        checks = await run_checks(ls.settings, errors, ls.workspace_roots(), host=ls.engine_host)
        return as_result(checks)

    async def _raw_settings(self) -> Any:
        """The settings as the client sends them, to report the rejected ones under the names
        the user wrote: initializationOptions, overridden by the "infill" section of
        workspace/configuration, as the server reads them."""
        ls = self.server
        raw = ls.init_options
        capabilities = ls.client_capabilities.workspace
        if capabilities is None or not capabilities.configuration:
            return raw
        try:
            sections = await ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="infill")])
            )
        except Exception as exc:  # a client that cannot answer: initializationOptions alone
            log.warning("workspace/configuration failed: %s", exc)
            return raw
        section = sections[0] if sections else None
        if isinstance(section, dict) and section and isinstance(raw, (dict, type(None))):
            return merge_settings(raw or {}, section)
        return raw
