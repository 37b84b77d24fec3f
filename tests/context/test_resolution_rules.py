"""Resolution rules across files: Rust inline modules and `impl` blocks in other files, Go
receivers, Java types named like the cursor's line and fields' declared types, C files that
other files include, Python `__slots__` and `.pyi` stubs; and the caches that keep the
gathering fast give the same answers as the work they save."""

from __future__ import annotations

import textwrap
from pathlib import Path

from workspace_fixture import count_tokens, indexed_workspace

from lsp_server.context import ContextRetriever, types
from lsp_server.context.gather import SCORE_ATTRIBUTE_TARGET
from lsp_server.context.types import TypeHint, member_type, variable_types
from lsp_server.index import WorkspaceIndex


def resolved(index: WorkspaceIndex, relative: str, text: str, name: str) -> list[str]:
    """Where `name` resolves in the file (no workspace-wide guess by name), as "file:line"."""
    path = index.roots[0] / relative
    index.update_document(path, textwrap.dedent(text).lstrip("\n"))
    resolver = ContextRetriever(index).resolver
    resolver.begin()
    entry = resolver.entry(path)
    assert entry is not None
    return [f"{s.path.name}:{s.start_line + 1}" for s in resolver.resolve_name(entry, name, fallback=False)]


def shown(index: WorkspaceIndex, relative: str, text: str, dedent: bool = True) -> str:
    """What the chosen snippets show for a cursor at the end of `text`, leaving out chunks
    chosen for their likeness to the code (resolution is what is tested here)."""
    path = index.roots[0] / relative
    text = textwrap.dedent(text).lstrip("\n") if dedent else text
    index.update_document(path, text)
    result = ContextRetriever(index).gather(path, text, len(text), 4096, count_tokens, time_budget_ms=1000)
    return "\n".join(snippet.text for snippet in result.snippets if snippet.kind not in ("similar", "recent"))


# --- Rust ---


def test_rust_path_through_an_inline_module_of_the_crate_root(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/lib.rs": """
                mod cli;
                #[cfg(test)]
                mod tests;
                pub mod test {
                    pub use crate::cli::{parse_opts, TestOpts};
                }
            """,
            "src/cli.rs": """
                pub struct TestOpts {
                    pub filter: Option<String>,
                }
                pub fn parse_opts(args: &[String]) -> TestOpts {
                    TestOpts { filter: None }
                }
            """,
            "src/tests.rs": "",
        },
    )
    text = """
        use crate::test::{parse_opts, TestOpts};

        fn make() {
            let opts = parse_opts(&[]);
            let other: TestOpts =
    """
    assert resolved(index, "src/tests.rs", text, "TestOpts") == ["cli.rs:1"]
    assert resolved(index, "src/tests.rs", text, "parse_opts") == ["cli.rs:4"]
    assert "pub struct TestOpts" in shown(index, "src/tests.rs", text)


def test_rust_use_super_in_an_inline_test_module_names_the_file_itself(tmp_path):
    index = indexed_workspace(tmp_path, {"src/lib.rs": "mod a;\n", "src/a.rs": "", "src/b.rs": "pub fn helper() {}\n"})
    text = """
        use crate::b::helper;

        pub fn run() {}

        #[cfg(test)]
        mod tests {
            use super::*;

            #[test]
            fn works() {
                run();
                helper(
    """
    path = index.roots[0] / "src/a.rs"
    index.update_document(path, textwrap.dedent(text).lstrip("\n"))
    retriever = ContextRetriever(index)
    resolver = retriever.resolver
    resolver.begin()
    entry = resolver.entry(path)
    assert entry is not None
    wildcard = next(item for item in entry.imports if item.name == "*")
    assert resolver.rust_module(entry, wildcard) == (path, "")
    assert [s.name for s in resolver.resolve_name(entry, "helper", fallback=False)] == ["helper"]


def test_rust_methods_of_impl_blocks_in_other_files_of_the_crate(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/lib.rs": "mod buffer;\nmod extend;\n",
            "src/buffer.rs": """
                pub struct Buffer {
                    pub len: usize,
                }
            """,
            "src/extend.rs": """
                use crate::buffer::Buffer;

                impl Buffer {
                    pub fn extend_from_slice(&mut self, other: &[u8]) {}
                }
            """,
            "other/src/lib.rs": """
                pub struct Buffer;
                impl Buffer {
                    pub fn unrelated(&self) {}
                }
            """,
        },
    )
    retriever = ContextRetriever(index)
    retriever.resolver.begin()
    owner = next(s for s in index.definitions("Buffer") if "other" not in s.path.parts)
    names = {member.name for member in retriever.resolver.classes.own_members(owner)}
    assert names == {"len", "extend_from_slice"}


def test_rust_self_in_an_unfinished_impl_block(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/lib.rs": "mod pool;\nmod grow;\n",
            "src/pool.rs": """
                pub struct Pool {
                    size: usize,
                }

                impl Pool {
                    pub fn with_size(size: usize) -> Self {
                        Pool { size }
                    }
                }
            """,
            "src/grow.rs": "",
        },
    )
    # The block is cut at the cursor, so the index has no `impl` symbol around it.
    text = """
        use crate::pool::Pool;

        impl Pool {
            pub fn grow(&mut self) -> usize {
                let bigger = Self::with_size(3);
                self.
    """
    assert "pub fn with_size" in shown(index, "src/grow.rs", text)


# --- Go ---


def test_go_receiver_of_a_long_method_types_its_members(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "go.mod": "module example.com/app\n",
            "server.go": """
                package app

                type Server struct {
                    Addr string
                }
            """,
            "listen.go": """
                package app

                func (s *Server) ListenAndServe() error {
                    return nil
                }
            """,
            "run.go": "",
        },
    )
    # Far more lines than the text searched for bindings: only the method's head says it.
    filler = "\n".join(f"\tx{i} := {i}" for i in range(800))
    text = f"package app\n\nfunc (srv *Server) Run() error {{\n{filler}\n\tsrv.ListenAndServe()\n\treturn "
    assert "ListenAndServe" in shown(index, "run.go", text, dedent=False)


def test_go_type_of_the_current_file_lists_the_methods_other_files_hold(tmp_path):
    """`c.` on a type the file being edited declares: the file is in the prompt already, the
    methods the package's other files give the type are listed, the file whose names go with
    the cursor's words first; also through a call with several results (`cmd, _, err :=`)."""
    index = indexed_workspace(
        tmp_path,
        {
            "go.mod": "module example.com/app\n",
            "flags.go": "package app\n\nfunc (c *Command) ValidateFlagGroups() error {\n\treturn nil\n}\n",
            "zsh.go": "package app\n\nfunc (c *Command) GenZsh() error { return nil }\n",
            "command.go": "",
        },
    )
    text = """
        package app

        type Command struct {
        \tUse string
        }

        func (c *Command) Find(args []string) (*Command, []string, error) {
        \treturn c, args, nil
        }

        func (c *Command) execute() error {
        \tif err := c.ValidateRequiredFlags(); err != nil {
        \t\treturn err
        \t}
        \tfound, _, err := c.Find(nil)
        \treturn found."""
    path = index.roots[0] / "command.go"
    text = textwrap.dedent(text).lstrip("\n").replace("\\t", "\t")
    index.update_document(path, text)
    try:
        result = ContextRetriever(index).gather(path, text, len(text), 400, count_tokens, time_budget_ms=1000)
    finally:
        index.close()
    lead = result.snippets[0]
    assert lead.kind == "outline" and lead.path.name == "flags.go"
    assert lead.text.startswith("type Command struct") and "ValidateFlagGroups() error" in lead.text
    assert "func (c *Command)" not in lead.text  # the method set's form: no receiver on every line


def test_go_functions_named_like_python_constants_are_names_like_any_other(tmp_path):
    """testify's `True` and `False` are Go functions: in Python they would be keywords."""
    index = indexed_workspace(
        tmp_path,
        {
            "go.mod": "module example.com/assert\n",
            "assertions.go": "package assert\n\nfunc True(t TestingT, value bool) bool {\n\treturn value\n}\n",
            "assertions_test.go": "",
        },
    )
    text = "package assert\n\nfunc TestTrue(t *testing.T) {\n\tTrue(t, true)\n\tif !"
    try:
        assert "func True(t TestingT, value bool) bool" in shown(index, "assertions_test.go", text, dedent=False)
    finally:
        index.close()


def test_go_test_helpers_in_other_test_files_of_the_package(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "go.mod": "module example.com/app\n",
            "app.go": "package app\n",
            "main_test.go": """
                package app

                import "testing"

                func afterTest(t testing.TB) {}
            """,
            "serve_test.go": "",
        },
    )
    text = """
        package app

        import "testing"

        func TestServe(t *testing.T) {
            defer afterTest(t)
            defer afterTest(
    """
    assert resolved(index, "serve_test.go", text, "afterTest") == ["main_test.go:5"]
    assert resolved(index, "app.go", "package app\n", "afterTest") == []  # not from a non-test file
    assert "func afterTest(t testing.TB)" in shown(index, "serve_test.go", text)


# --- Java ---


def test_java_type_position_finds_package_types_named_like_the_line(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/locks/Lock.java": """
                package locks;

                public interface Lock {
                    void lock();
                }
            """,
            "src/locks/Unrelated.java": "package locks;\n\npublic class Unrelated {}\n",
            "src/locks/ReentrantLocks.java": "",
        },
    )
    text = "package locks;\n\npublic class ReentrantLocks {\n    public static class ReadLock implements "
    found = shown(index, "src/locks/ReentrantLocks.java", text, dedent=False)
    assert "public interface Lock" in found
    assert "class Unrelated" not in found  # named like nothing on the line


def test_java_members_through_a_field_declared_far_above(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/net/Client.java": """
                package net;

                public class Client {
                    public void send(String body) {}
                }
            """,
            "src/net/Service.java": "",
        },
    )
    filler = "\n".join(f"        int local{i} = {i};" for i in range(400))
    fields = "\n".join(f"    private int field{i};" for i in range(200))
    text = (
        f"package net;\n\npublic class Service {{\n    private final Client transport;\n{fields}\n\n"
        f"    void run() {{\n{filler}\n        this.transport."
    )
    path = index.roots[0] / "src/net/Service.java"
    index.update_document(path, text)
    result = ContextRetriever(index).gather(
        path, text, len(text), 4096, count_tokens, time_budget_ms=1000, keep_candidates=True
    )
    # The class's members as the target of `this.transport.`, not only as a name the file uses.
    targets = [s for s in result.considered if s.score >= SCORE_ATTRIBUTE_TARGET]
    assert [s.path.name for s in targets] == ["Client.java"]
    assert "public void send(String body)" in targets[0].text


# --- C ---


def test_c_file_included_by_another_sees_its_headers(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "lib/flags.h": """
                #define FLAG_RW 0x002
                typedef unsigned int flags_t;
            """,
            "lib/main.c": """
                #include "flags.h"
                #include "platform.c"
            """,
            "lib/platform.c": "",
        },
    )
    text = """
        static int check(flags_t flags) {
            return flags & FLAG_RW;
        }

        static int check2(flags_t flags) {
            return flags &
    """
    assert resolved(index, "lib/platform.c", text, "FLAG_RW") == ["flags.h:1"]
    assert resolved(index, "lib/platform.c", text, "flags_t") == ["flags.h:2"]
    assert "#define FLAG_RW" in shown(index, "lib/platform.c", text)


def test_c_pointer_member_access_lists_the_struct_of_the_pointer(tmp_path):
    """`peer->` with `struct router_peer *peer` above: the struct's fields, those the file uses
    on `peer` (through `->` or `.`) first, even for a struct too long to show whole."""
    fields = "".join(f"    int field_{n:02};\n" for n in range(60))
    index = indexed_workspace(tmp_path, {"cr.h": f"struct router_peer {{\n{fields}}};\n"})
    text = """
        #include "cr.h"

        int close_peer(struct router_peer *peer) {
            peer->field_57 = 0;
            return peer->"""
    path = index.roots[0] / "router.c"
    text = textwrap.dedent(text).lstrip("\n")
    index.update_document(path, text)
    try:
        result = ContextRetriever(index).gather(path, text, len(text), 200, count_tokens, time_budget_ms=1000)
    finally:
        index.close()
    lead = result.snippets[0]
    assert lead.kind == "outline" and lead.score == SCORE_ATTRIBUTE_TARGET
    assert lead.text.startswith("struct router_peer {") and "int field_57" in lead.text


def test_c_used_names_that_are_defined_somewhere_come_first(tmp_path):
    locals_ = "\n".join(f"    int v{i} = {i}; v{i} += v{i};" for i in range(60))
    index = indexed_workspace(
        tmp_path,
        {
            "lib/api.h": "#define MODE_FAST 1\n",
            "lib/work.c": "",
        },
    )
    text = f'#include "api.h"\n\nint run(int mode) {{\n    if (mode == MODE_FAST) return 1;\n{locals_}\n'
    text += "\n".join("    mode += 1;" for _ in range(40)) + "\n    return mode == "
    assert "#define MODE_FAST 1" in shown(index, "lib/work.c", text, dedent=False)


# --- Python ---


def test_python_slots_are_members_of_the_class(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/point.py": """
                class Point:
                    __slots__ = ("x", "y")

                    def __init__(self, x, y):
                        self.x = x
                        self.y = y
            """,
        },
    )
    members = {s.name: s for s in index.definitions("x") + index.definitions("y")}
    assert {name: s.parent for name, s in members.items()} == {"x": "Point", "y": "Point"}
    assert members["x"].signature == '__slots__ = ("x", "y")'


def test_python_stub_declares_what_the_module_lacks(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/fast.py": """
                from pkg._speedups import *

                class Parser:
                    def feed(self, data): ...
            """,
            "pkg/fast.pyi": """
                class Parser:
                    def feed(self, data: bytes) -> None: ...
                    def close(self) -> bytes: ...

                def parse(data: bytes) -> Parser: ...
            """,
            "pkg/use.py": "",
        },
    )
    text = """
        from pkg.fast import Parser, parse

        def run(parser: Parser):
            tree = parse(b"")
            parser.
    """
    found = shown(index, "pkg/use.py", text)
    assert "def close(self) -> bytes" in found
    assert "def parse(data: bytes) -> Parser" in found


# --- the caches ---


def test_python_import_of_an_alias_shows_the_alias_and_the_function_it_names(tmp_path):
    """`from .gen import make_fn as factory` where gen says `make_fn: Final = factory`: the
    alias line says which name it is, the function's definition what it takes."""
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/gen.py": "def factory(cl, converter):\n    return cl\n\n\nmake_fn: Final = factory\n",
            "pkg/cols.py": "from .gen import make_fn as factory\n",
        },
    )
    try:
        assert resolved(index, "pkg/user.py", "from .cols import factory\n", "factory") == ["gen.py:5"]
        text = shown(index, "pkg/user.py", "from .cols import factory\n\nfactory(")
    finally:
        index.close()
    assert "make_fn: Final = factory" in text and "def factory(cl, converter)" in text


def test_a_name_bound_twice_resolves_through_its_first_import(tmp_path):
    """`try: from .fast import X` / `except ImportError: from .slow import X`, and Rust's
    `#[cfg(not(test))] use crate::boxed::Box;` before `#[cfg(test)] use std::boxed::Box;`."""
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/fast.py": "def parse(text):\n    return text\n",
            "pkg/slow.py": "def parse(text):\n    return text\n",
            "src/boxed.rs": "pub struct Box<T> {\n    value: T,\n}\n",
            "src/lib.rs": "",
        },
    )
    python = "try:\n    from .fast import parse\nexcept ImportError:\n    from .slow import parse\n"
    rust = "#[cfg(not(test))]\nuse crate::boxed::Box;\n#[cfg(test)]\nuse std::boxed::Box;\n"
    try:
        assert resolved(index, "pkg/user.py", python, "parse") == ["fast.py:1"]
        assert resolved(index, "src/rc.rs", rust, "Box") == ["boxed.rs:1"]
    finally:
        index.close()


def test_type_patterns_read_the_same_bindings_for_any_variable():
    text = "a, b := NewThing()\nc := &Other{}\nvar d *Third\nfunc f(e *Fourth) {\n"
    assert next(variable_types(text, len(text), "b", "go")) == TypeHint("NewThing", True)
    assert next(variable_types(text, len(text), "c", "go")) == TypeHint("Other", False)
    assert next(variable_types(text, len(text), "d", "go")) == TypeHint("Third", False)
    assert next(variable_types(text, len(text), "e", "go")) == TypeHint("Fourth", False)
    java = "Client client = make();\n    final Other other;\n"
    assert next(variable_types(java, len(java), "client", "java")) == TypeHint("Client", False)
    assert next(variable_types(java, len(java), "other", "java")) == TypeHint("Other", False)
    # The rightmost binding on a line wins; a name that only contains the variable does not bind it.
    line = "xs: Old = 1; x: Wanted = f(); x_other: Wrong = 2\n"
    assert next(variable_types(line, len(line), "x", "python")) == TypeHint("Wanted", False)
    # One set of compiled patterns per language, whatever the variable.
    assert types._patterns("a", "go") is types._patterns("other", "go")
    assert member_type("conn *Conn", "conn", "go") == TypeHint("Conn", False)
    assert member_type("conns []*Conn", "conn", "go") is None


def test_one_query_per_name_and_member_list_per_request(tmp_path, monkeypatch):
    index = indexed_workspace(
        tmp_path,
        {
            "go.mod": "module example.com/app\n",
            "server.go": (
                "package app\n\ntype Server struct {\n\tAddr string\n}\n\nfunc NewServer() *Server { return nil }\n"
            ),
            "serve.go": "package app\n\nfunc (s *Server) Serve() error { return nil }\n",
            "run.go": "",
        },
    )
    calls: dict[str, int] = {}
    for method in ("top_level_definitions", "members_of"):
        original = getattr(index, method)

        def counting(name, original=original, method=method):
            calls[method] = calls.get(method, 0) + 1
            return original(name)

        monkeypatch.setattr(index, method, counting)
    retriever = ContextRetriever(index)
    retriever.resolver.begin()
    entry = retriever.resolver.entry(index.roots[0] / "server.go")
    assert entry is not None
    for _ in range(3):
        assert [s.name for s in retriever.resolver.resolve_name(entry, "NewServer")] == ["NewServer"]
        owner = retriever.resolver.resolve_name(entry, "Server")[0]
        assert {m.name for m in retriever.resolver.classes.own_members(owner)} == {"Addr", "Serve"}
    assert calls == {"members_of": 1}  # NewServer and Server are the file's own: no query at all
    run = retriever.resolver.entry(index.roots[0] / "run.go")
    assert run is not None
    for _ in range(3):
        assert [s.name for s in retriever.resolver.resolve_name(run, "NewServer")] == ["NewServer"]
    assert calls["top_level_definitions"] == 1
    retriever.resolver.begin()  # the next request asks again: files may have changed
    retriever.resolver.resolve_name(run, "NewServer")
    assert calls["top_level_definitions"] == 2


def test_the_edited_buffers_entry_is_read_again_only_when_the_index_has_a_new_version(tmp_path, monkeypatch):
    """Keystrokes between two index updates find the same version of the buffer: its entry
    (a few milliseconds to read for a large file) is not read from the database again."""
    index = indexed_workspace(tmp_path, {"lib.py": "def helper():\n    return 1\n"})
    path = index.roots[0] / "main.py"
    reads: list[Path] = []
    original = index.file

    def counting(wanted):
        reads.append(wanted)
        return original(wanted)

    monkeypatch.setattr(index, "file", counting)
    retriever = ContextRetriever(index)
    try:
        text = "from lib import helper\n\nhelper("
        index.update_document(path, text)
        for typed in ("", "1", "12"):  # typed after the update, not indexed yet
            retriever.gather(path, text + typed, len(text + typed), 200, count_tokens, time_budget_ms=1000)
        assert reads.count(path) == 1
        index.update_document(path, text + "12)\n")
        retriever.gather(path, text + "12)\n", len(text) + 4, 200, count_tokens, time_budget_ms=1000)
        assert reads.count(path) == 2  # a new version in the index: read again
        entry = retriever.resolver.current(path)
        assert entry is not None and entry.hash == index.file_hash(path)
    finally:
        index.close()


def test_folder_names_follow_edits(tmp_path):
    index = indexed_workspace(tmp_path, {"pkg/a.go": "package pkg\n\nfunc Alpha() {}\n", "pkg/b.go": "package pkg\n"})
    folder = index.roots[0] / "pkg"
    assert index.defines_in_folder(folder, "Alpha")
    assert not index.defines_in_folder(folder, "Beta")
    index.update_document(folder / "b.go", "package pkg\n\nfunc Beta() {}\n")
    assert index.defines_in_folder(folder, "Beta")
    index.update_document(folder / "a.go", "package pkg\n")
    assert not index.defines_in_folder(folder, "Alpha")
    assert index.defines_in_folder(folder, "Beta")


def test_default_export_is_read_once_per_file_version(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "src/client.js": "function createClient() {}\nexport default createClient;\n",
            "src/app.js": "",
        },
    )
    text = "import makeClient from './client.js';\n\nconst c = makeClient();\nmakeClient("
    assert "function createClient()" in shown(index, "src/app.js", text)
    retriever = ContextRetriever(index)
    retriever.resolver.begin()
    module = retriever.resolver.entry(index.roots[0] / "src/client.js")
    assert module is not None
    facts = retriever.resolver.facts(module)
    first = retriever.resolver._default_export(module.path, "other")
    assert first is not None and first.name == "createClient"
    assert facts.default_export is first  # remembered on the file's facts
    assert retriever.resolver._default_export(module.path, "other") is first
