"""The text scans every gathering starts with: attributes used on a name, paths as shown."""

from __future__ import annotations

from pathlib import Path

from lsp_server.context.identifiers import AttributesUsed
from lsp_server.context.snippets import relative_path


def test_attributes_used_on_a_name_and_not_on_names_that_end_like_it():
    text = "client.get(url)\ndatabase.close()\nclient.post(body)\nbase.run()\n$base.skip()\nclient . spaced"
    used = AttributesUsed(text, 0, len(text))
    assert used.get("client") == {"get", "post"}
    assert used.get("base") == {"run"}  # not `database.close`, not `$base.skip`
    assert used.get("nothing") == set()


def test_attributes_used_only_within_the_range():
    text = "client.early()\nclient.middle()\nclient.late()"
    start, end = text.index("client.middle"), text.index("client.late")
    assert AttributesUsed(text, start, end).get("client") == {"middle"}


def test_relative_path_under_the_root_that_holds_it():
    roots = [Path("/work/a"), Path("/work/ab")]
    assert relative_path(Path("/work/ab/pkg/x.py"), roots) == "pkg/x.py"  # not "b/pkg/x.py" under /work/a
    assert relative_path(Path("/work/a/x.py"), roots) == "x.py"
    assert relative_path(Path("/elsewhere/y.py"), roots) == "y.py"


def test_attributes_used_through_a_c_pointer():
    text = "peer->fd = 1;\npeer.len = 2;\nother->fd = 3;"
    assert AttributesUsed(text, 0, len(text)).get("peer") == {"fd", "len"}
