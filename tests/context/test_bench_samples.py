"""Where the context benchmark puts its cursors: a name a function binds itself is its local,
not the definition an import of the same name brings."""

from __future__ import annotations

import sys
from pathlib import Path

from workspace_fixture import indexed_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _context_samples import find_samples

LIBRARY = "def patch(url):\n    return url\n\n\ndef fetch(url):\n    return url\n"
USER = """def versions(text):
    major, minor, patch = text.split(".")
    return int(patch)


def load(url, fetch=None):
    return fetch(url)


def send(url):
    for fetch in []:
        pass
    return patch(url)


from lib import patch, fetch  # noqa: E402
"""


def _samples(tmp_path, files: dict[str, str]) -> list:
    index = indexed_workspace(tmp_path, files)
    try:
        return find_samples(index, 100)
    finally:
        index.close()


def test_locals_and_parameters_named_like_an_import_are_no_samples(tmp_path):
    samples = [s for s in _samples(tmp_path, {"lib.py": LIBRARY, "user.py": USER}) if s.kind == "name"]
    lines = sorted(USER[: s.offset].count("\n") + 1 for s in samples)
    # Only `patch(url)` in `send`: `versions` binds patch, `load` takes fetch as a parameter,
    # and `send`'s loop binds fetch (not used after).
    assert lines == [13]
    assert all(s.name == "patch" for s in samples)


def test_a_name_a_library_import_binds_is_no_sample_of_the_repositorys_definition(tmp_path):
    files = {
        "compat.py": "Mapping = dict\n",
        "user.py": "from typing import Mapping\n\n\ndef f(a: Mapping):\n    pass\n",
        "other.py": "from compat import Mapping\n\n\ndef g(b: Mapping):\n    pass\n",
    }
    samples = [s for s in _samples(tmp_path, files) if s.kind == "name"]
    assert [(s.path.name, s.name) for s in samples] == [("other.py", "Mapping")]


def test_a_rust_std_or_core_import_is_no_sample_of_a_module_named_alike(tmp_path):
    files = {
        "src/mem.rs": "pub fn swap() {}\n",
        "src/lib.rs": "mod mem;\n",
        "src/user.rs": "use core::mem;\n\nfn f() -> usize {\n    mem::size_of::<u8>()\n}\n",
    }
    samples = _samples(tmp_path, files)
    assert [s for s in samples if s.path.name == "user.rs"] == []


def test_a_member_on_a_class_that_is_not_its_owner_is_no_sample(tmp_path):
    """`Buffer.from(...)` is Node's: the repository's only `from` (a static method of
    `Headers`) is no answer there; `Headers.from` is one."""
    files = {
        "headers.js": "export default class Headers {\n  static from(thing) {\n    return thing;\n  }\n}\n",
        "user.js": (
            "import Headers from './headers.js';\n\nexport function f(x) {\n"
            "  const a = Buffer.from(x);\n  return Headers.from(a);\n}\n"
        ),
    }
    samples = [s for s in _samples(tmp_path, files) if s.kind == "member"]
    assert [(s.base, s.name) for s in samples] == [("Headers", "from")]


def test_a_library_module_named_like_a_repository_module_is_the_librarys(tmp_path):
    """`from starlette.responses import Response` in a package that has its own `responses.py`
    (which defines no Response) and a `Response` elsewhere: the name is starlette's."""
    files = {
        "app/responses.py": "from starlette.responses import Response as Response\n",
        "app/openapi/models.py": "class Response:\n    pass\n",
        "app/routing.py": "from starlette.responses import Response\n\n\ndef f() -> Response:\n    pass\n",
        "app/handlers.py": "from app.openapi.models import Response\n\n\ndef g() -> Response:\n    pass\n",
    }
    samples = [s for s in _samples(tmp_path, files) if s.name == "Response"]
    assert [s.path.name for s in samples] == ["handlers.py"]
