"""The class of a variable nothing above types, read from the members the code uses on it and
the classes the file names, imports from or that are named like the variable."""

from __future__ import annotations

import textwrap

import pytest
from workspace_fixture import count_tokens, indexed_workspace

from lsp_server.context import ContextRetriever
from lsp_server.context.owners import name_affinity
from lsp_server.index import WorkspaceIndex


def gather(index: WorkspaceIndex, relative: str, text: str):
    path = index.roots[0] / relative
    text = textwrap.dedent(text).strip("\n")  # the cursor right after the last `.`
    index.update_document(path, text)
    return ContextRetriever(index).gather(path, text, len(text), 2048, count_tokens, time_budget_ms=1000)


def first_snippet(index: WorkspaceIndex, relative: str, text: str) -> str:
    """The best snippet's text for a cursor at the end of `text`."""
    result = gather(index, relative, text)
    return result.snippets[0].text if result.snippets else ""


FUTURES = """
    class Future:
        def done(self): ...
        def result(self): ...
        def add_done_callback(self, fn): ...
        def cancel(self): ...

    class Handle:
        def cancel(self): ...
        def cancelled(self): ...
"""


def test_parameter_typed_by_the_members_used_on_it_in_an_imported_module(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/futures.py": FUTURES,
            "pkg/tasks.py": "from . import futures\n",
        },
    )
    text = """
        from . import futures

        def wait(fut):
            fut.add_done_callback(print)
            if fut.done():
                return fut.
    """
    shown = first_snippet(index, "pkg/tasks.py", text)
    assert shown.startswith("class Future:")
    assert "def result(self): ..." in shown


def test_a_class_named_only_in_a_docstring_types_the_variable(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "mail/message.py": """
                class Message:
                    def walk(self): ...
                    def get_content_type(self): ...
                    def is_multipart(self): ...
            """,
            "mail/other.py": """
                class Header:
                    def walk(self): ...
            """,
            "mail/iterators.py": "",
        },
    )
    text = '''
        def structure(msg):
            """Print the structure of a Message object."""
            for part in msg.walk():
                print(msg.get_content_type())
            if msg.
    '''
    assert first_snippet(index, "mail/iterators.py", text).startswith("class Message:")


def test_a_class_nothing_names_is_not_guessed(tmp_path):
    index = indexed_workspace(tmp_path, {"a/message.py": FUTURES, "a/use.py": ""})
    text = """
        def run(thing):
            thing.done()
            return thing.
    """
    listed = [snippet.name for snippet in gather(index, "a/use.py", text).snippets if snippet.kind == "outline"]
    assert "Future" not in listed


def test_ties_go_to_the_class_named_like_the_variable(tmp_path):
    index = indexed_workspace(tmp_path, {"pkg/__init__.py": "", "pkg/futures.py": FUTURES, "pkg/use.py": ""})
    text = """
        from .futures import Future, Handle

        def stop(handle):
            handle.cancel()
            return handle.
    """
    assert first_snippet(index, "pkg/use.py", text).startswith("class Handle:")


def test_a_stub_wins_over_its_module_when_both_declare_the_members(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "lib/__init__.py": "from ._make import Attribute\n",
            "lib/__init__.pyi": """
                class Attribute:
                    name: str
                    default: object
            """,
            "lib/_make.py": """
                class Attribute:
                    def __init__(self, name):
                        self.name = name
            """,
            "lib/funcs.py": "",
        },
    )
    text = """
        from ._make import Attribute

        def names(attrs):
            for a in attrs:
                print(a.name)
                yield a.
    """
    shown = first_snippet(index, "lib/funcs.py", text)
    assert shown.startswith("class Attribute:") and "default: object" in shown


def test_a_variable_named_like_a_class_the_text_names(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "web/models.py": """
                class PreparedRequest:
                    def prepare_body(self, data): ...
                    def prepare_headers(self, headers): ...
            """,
            "web/utils.py": "",
        },
    )
    text = """
        def rewind(prepared_request):
            \"\"\"Move the file position of a PreparedRequest's body back.\"\"\"
            return prepared_request.
    """
    assert first_snippet(index, "web/utils.py", text).startswith("class PreparedRequest:")


@pytest.mark.parametrize(
    ("variable", "class_name", "affinity"),
    [
        ("transport", "Transport", 3),
        ("fut", "Future", 2),
        ("parser", "FeedParser", 2),
        ("msg", "Message", 1),
        ("sock", "Future", 0),
        ("a", "Attribute", 0),
    ],
)
def test_name_affinity(variable, class_name, affinity):
    assert name_affinity(variable, class_name) == affinity


def test_self_in_a_class_extending_an_alias_of_a_class_lists_the_aliased_class(tmp_path):
    """`class Task(futures._PyFuture)` with `_PyFuture = Future` in futures.py (and a comment
    after the colon, which the signature keeps)."""
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/futures.py": textwrap.dedent(FUTURES) + "\n_PyFuture = Future\n",
        },
    )
    text = """
        from . import futures

        class Task(futures._PyFuture):  # the Python implementation
            def step(self):
                if self.
    """
    result = gather(index, "pkg/tasks.py", text)
    listings = [s for s in result.snippets if s.kind == "outline" and s.name == "Future"]
    assert listings and "def done(self): ..." in listings[0].text


def test_a_base_class_listing_leaves_out_what_the_subclass_overrides(tmp_path):
    base = "class Loop:\n" + "".join(f"    def method_{n}(self): ...\n" for n in range(6))
    index = indexed_workspace(tmp_path, {"loops.py": base})
    text = """
        from loops import Loop

        class FastLoop(Loop):
            def method_0(self): ...
            def method_1(self):
                self.
    """
    result = gather(index, "fast.py", text)
    listing = next(s for s in result.snippets if s.kind == "outline" and s.name == "Loop")
    assert "def method_0" not in listing.text and "def method_1" not in listing.text
    assert all(f"def method_{n}(self): ..." in listing.text for n in range(2, 6))
