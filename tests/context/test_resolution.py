"""Name resolution across files, per language, on small fixture workspaces: what a name, an
attribute or a variable's member at the cursor resolves to, and that gathering shows it."""

from __future__ import annotations

import textwrap

import pytest
from workspace_fixture import count_tokens, indexed_workspace

from lsp_server.context import ContextRetriever
from lsp_server.context.resolve import Resolver
from lsp_server.index import WorkspaceIndex


def resolve(index: WorkspaceIndex, relative: str, name: str):
    resolver = Resolver(index)
    resolver.begin()
    entry = resolver.entry(index.roots[0] / relative)
    assert entry is not None, relative
    return [(s.path.relative_to(index.roots[0]).as_posix(), s.name) for s in resolver.resolve_name(entry, name, False)]


def attribute(index: WorkspaceIndex, relative: str, base: str, attr: str):
    resolver = Resolver(index)
    resolver.begin()
    entry = resolver.entry(index.roots[0] / relative)
    assert entry is not None, relative
    return [
        (s.path.relative_to(index.roots[0]).as_posix(), s.name) for s in resolver.resolve_attribute(entry, base, attr)
    ]


def shown(index: WorkspaceIndex, relative: str, text: str) -> str:
    """Everything the chosen snippets show for a cursor at the end of `text`."""
    path = index.roots[0] / relative
    text = textwrap.dedent(text).lstrip("\n")
    index.update_document(path, text)
    result = ContextRetriever(index).gather(path, text, len(text), 2048, count_tokens, time_budget_ms=1000)
    return "\n".join(snippet.text for snippet in result.snippets)


@pytest.fixture
def python(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "from .models import Request\nfrom ._types import *\n",
            "pkg/models.py": '''
                from ._types import Headers
                DEFAULT_TIMEOUT = 5

                class Base:
                    def send(self, request):
                        """Send a request."""

                class Request(Base):
                    method = "GET"

                    def __init__(self, url: str):
                        self.url = url
                        self.headers: Headers = {}

                    def prepare(self) -> "Request":
                        return self

                def make_request(url) -> Request:
                    return Request(url)
            ''',
            "pkg/_types.py": """
                __all__ = ["Headers", "Timeout"]
                Headers = dict[str, str]
                Timeout = float
                type Pair = tuple[int, int]
            """,
            "pkg/a/b/deep.py": (
                "from ...models import DEFAULT_TIMEOUT\nfrom .. import sibling\nfrom ..c.d import helper\n"
            ),
            "pkg/a/sibling.py": "def near():\n    return 1\n",
            "pkg/a/c/d.py": "def helper():\n    return 2\n",
            "app.py": "from pkg import Request, Headers\nfrom pkg.models import make_request\n",
        },
    )
    yield index
    index.close()


def test_python_relative_imports_at_every_depth(python):
    assert resolve(python, "pkg/a/b/deep.py", "DEFAULT_TIMEOUT") == [("pkg/models.py", "DEFAULT_TIMEOUT")]
    assert resolve(python, "pkg/a/b/deep.py", "helper") == [("pkg/a/c/d.py", "helper")]
    assert attribute(python, "pkg/a/b/deep.py", "sibling", "near") == [("pkg/a/sibling.py", "near")]


def test_python_reexports_through_init_and_star_with_all(python):
    assert resolve(python, "app.py", "Request") == [("pkg/models.py", "Request")]
    assert resolve(python, "app.py", "Headers") == [("pkg/_types.py", "Headers")]  # via `from ._types import *`


def test_python_type_aliases_constants_and_attributes(python):
    resolver = Resolver(python)
    resolver.begin()
    types = resolver.entry(python.roots[0] / "pkg/_types.py")
    assert {s.name: s.kind for s in types.symbols}.items() >= {
        "Headers": "variable",
        "Timeout": "variable",
        "Pair": "type",
    }.items()
    assert attribute(python, "app.py", "Request", "method") == [("pkg/models.py", "method")]
    assert attribute(python, "app.py", "Request", "url") == [("pkg/models.py", "url")]  # self.url = ... in __init__
    assert attribute(python, "app.py", "Request", "send") == [("pkg/models.py", "send")]  # inherited from Base


@pytest.mark.parametrize(
    "code",
    [
        "from pkg import Request\n\ndef f(request: Request):\n    request.",
        "from pkg import Request\n\nr = Request('u')\nr.",
        "from pkg.models import make_request\n\nr = make_request('u')\nr.",
        "from pkg import Request\n\nclass Mine(Request):\n    def go(self):\n        self.",
    ],
)
def test_python_members_through_self_annotations_constructors_and_return_types(python, code):
    text = shown(python, "use.py", code)
    assert "def prepare(self)" in text and "def send(self, request)" in text


@pytest.fixture
def typescript(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "tsconfig.json": """
                // comments and trailing commas, as tsconfig files have them
                { "compilerOptions": { "baseUrl": "./src", "paths": { "@lib/*": ["lib/*"], }, }, }
            """,
            "src/lib/util.ts": "export function clamp(x: number): number { return x; }\n",
            "src/lib/index.ts": 'export { clamp } from "./util";\nexport * from "./shapes";\n',
            "src/lib/shapes.ts": "export class Circle { area(): number { return 1; } }\n",
            "src/lib/logger.ts": "export default function log(message: string) {}\n",
            "src/lib/config.ts": "class Config { debug = false; }\nexport default Config;\n",
            "src/app.ts": (
                'import { clamp as c1 } from "./lib/util";\n'
                'import { clamp as c2 } from "./lib/util.js";\n'
                'import { clamp as c3, Circle } from "./lib";\n'
                'import { clamp as c4 } from "@lib/util";\n'
                'import { clamp as c5 } from "lib/util";\n'
                'import log from "./lib/logger";\n'
                'import Settings from "./lib/config";\n'
            ),
        },
    )
    yield index
    index.close()


def test_typescript_paths_extensions_index_reexports_and_aliases(typescript):
    for local in ("c1", "c2", "c3", "c4", "c5"):
        assert resolve(typescript, "src/app.ts", local) == [("src/lib/util.ts", "clamp")], local
    assert resolve(typescript, "src/app.ts", "Circle") == [("src/lib/shapes.ts", "Circle")]  # export * from


def test_typescript_default_exports(typescript):
    assert resolve(typescript, "src/app.ts", "log") == [("src/lib/logger.ts", "log")]
    assert resolve(typescript, "src/app.ts", "Settings") == [("src/lib/config.ts", "Config")]


def test_typescript_members_of_a_constructed_variable(typescript):
    code = 'import { Circle } from "./lib";\nconst shape = new Circle();\nshape.'
    assert "area(): number" in shown(typescript, "src/use.ts", code)


@pytest.fixture
def go(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "go.mod": "module example.com/app\n\ngo 1.21\n",
            "server/server.go": (
                "package server\n\ntype Server struct {\n\tName string\n}\n\nfunc New() *Server { return nil }\n"
            ),
            "server/start.go": "package server\n\nfunc (s *Server) Start() error { return nil }\n",
            "server/use.go": "package server\n\nfunc run() { s := New(); s.Start() }\n",
            "main.go": 'package main\n\nimport "example.com/app/server"\n\nfunc main() { server.New() }\n',
        },
    )
    yield index
    index.close()


def test_go_package_names_across_files_and_module_imports(go):
    assert resolve(go, "server/use.go", "New") == [("server/server.go", "New")]
    assert attribute(go, "main.go", "server", "New") == [("server/server.go", "New")]
    assert "Start() error" in shown(
        go, "main.go", 'package main\n\nimport "example.com/app/server"\n\nfunc f() {\n\ts := server.New()\n\ts.'
    )


@pytest.fixture
def rust(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/lib.rs": "pub mod net;\npub use crate::net::client::Client;\n",
            "src/net/mod.rs": "pub mod client;\n",
            "src/net/client.rs": "pub struct Client { pub url: String }\nimpl Client { pub fn send(&self) {} }\n",
            "src/app.rs": "use crate::net::client::Client;\nuse crate::Client as Reexported;\nuse super::net;\n",
        },
    )
    yield index
    index.close()


def test_rust_crate_paths_mod_and_pub_use(rust):
    assert resolve(rust, "src/app.rs", "Client") == [("src/net/client.rs", "Client")]
    assert resolve(rust, "src/app.rs", "Reexported") == [("src/net/client.rs", "Client")]  # through `pub use`
    assert attribute(rust, "src/app.rs", "Client", "send") == [("src/net/client.rs", "send")]


@pytest.fixture
def java(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/com/acme/util/Strings.java": (
                "package com.acme.util;\npublic class Strings { public static String trim(String s) { return s; } }\n"
            ),
            "src/com/acme/app/Helper.java": "package com.acme.app;\nclass Helper { int help() { return 1; } }\n",
            "src/com/acme/app/Main.java": "package com.acme.app;\nimport com.acme.util.Strings;\nclass Main { }\n",
        },
    )
    yield index
    index.close()


def test_java_imports_and_classes_of_the_same_package(java):
    assert resolve(java, "src/com/acme/app/Main.java", "Strings") == [("src/com/acme/util/Strings.java", "Strings")]
    assert resolve(java, "src/com/acme/app/Main.java", "Helper") == [("src/com/acme/app/Helper.java", "Helper")]
    code = "package com.acme.app;\nclass Other {\n  void f() {\n    Helper helper = new Helper();\n    helper."
    assert "int help()" in shown(java, "src/com/acme/app/Other.java", code)


@pytest.fixture
def c(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "include/proj/buf.h": "struct buf { int len; char *data; };\nint buf_grow(struct buf *b, int n);\n",
            "src/util.h": "#define MAX_LEN 64\nint clamp(int x);\n",
            "src/main.c": '#include "util.h"\n#include <proj/buf.h>\nint main(void) { return clamp(MAX_LEN); }\n',
        },
    )
    yield index
    index.close()


def test_c_includes_next_to_the_file_and_on_an_include_path(c):
    assert resolve(c, "src/main.c", "clamp") == [("src/util.h", "clamp")]
    assert resolve(c, "src/main.c", "buf_grow") == [("include/proj/buf.h", "buf_grow")]
    code = "#include <proj/buf.h>\nvoid f(struct buf *b) {\n  b->"
    assert "char *data" in shown(c, "src/other.c", code)
