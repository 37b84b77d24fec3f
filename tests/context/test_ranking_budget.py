"""Filling the context budget: brief forms, one header per file, nested definitions, listings."""

from __future__ import annotations

from pathlib import Path

from workspace_fixture import candidate_scores, count_tokens, gathered

from lsp_server.context.ranking import select_snippets
from lsp_server.context.snippets import Snippet


def header_tokens(snippet: Snippet) -> int:
    return 10


def definition(
    path: Path, start: int, end: int, text: str, score: float, name: str, signature: str, kind: str = "function"
) -> Snippet:
    return Snippet(
        path,
        start,
        end,
        text,
        "definition",
        score,
        "python",
        name,
        brief=lambda: signature + ": ...",
        whole=end - start < 12,
        signature=signature,
        symbol_kind=kind,
    )


def big_function(name: str, lines: int = 12) -> str:
    body = "\n".join(f"    step_{n} = compute_something_long({n}, {name!r})" for n in range(lines))
    return f"def {name}(value, option=None):\n{body}"


def select(candidates: list[Snippet], budget: int) -> list[Snippet]:
    return select_snippets(candidates, budget, count_tokens, Path("/ws/current.py"), (0, 10), header_tokens)


def test_definitions_ranked_lower_are_shown_by_their_signature():
    candidates = [
        definition(
            Path(f"/ws/m{n}.py"),
            0,
            12,
            big_function(f"function_{n}"),
            3.0 - 0.1 * n,
            f"function_{n}",
            f"def function_{n}(value, option=None)",
        )
        for n in range(8)
    ]
    chosen = select(candidates, 400)
    assert sum(s.tokens for s in chosen) <= 400
    assert chosen[0].name == "function_0" and "step_11" in chosen[0].text  # the best: in full
    briefs = [s for s in chosen if s.text == f"def {s.name}(value, option=None): ..."]
    assert len(briefs) >= 4  # the rest: named by their signature instead of left out
    assert all(not s.whole for s in briefs)


def test_a_file_header_is_paid_once():
    path = Path("/ws/lib.py")
    candidates = [
        definition(path, 10 * n, 10 * n + 1, f"def f{n}(x):\n    return x", 2.0 - 0.1 * n, f"f{n}", f"def f{n}(x)")
        for n in range(4)
    ]
    chosen = select(candidates, 1000)
    costs = sorted(s.tokens for s in chosen)
    assert len(chosen) == 4
    # The first pays the header (10), the others only the blank line that separates them.
    assert costs[-1] == 10 + count_tokens(chosen[0].text + "\n")
    assert costs[:3] == [1 + count_tokens(s.text + "\n") for s in chosen[1:]]


def test_the_class_of_a_method_shown_is_still_shown_by_its_head():
    path = Path("/ws/shapes.py")
    method = definition(path, 20, 22, "def area(self):\n    return 1", 3.0, "area", "def area(self)")
    head = definition(path, 0, 80, "class Shape:\n    def area(self): ...", 2.0, "Shape", "class Shape", "class")
    chosen = select([method, head], 1000)
    assert [s.name for s in chosen] == ["area", "Shape"]


def test_a_method_of_a_class_shown_whole_is_not_repeated():
    path = Path("/ws/small.py")
    whole_class = definition(path, 0, 4, "class Small:\n    def go(self):\n        pass", 3.0, "Small", "class Small")
    method = definition(path, 1, 2, "def go(self):\n    pass", 2.0, "go", "def go(self)")
    assert [s.name for s in select([whole_class, method], 1000)] == ["Small"]


def test_a_cut_that_loses_the_signature_gives_way_to_the_brief_form():
    doc = "\n".join(f"// documentation line number {n} of a long comment" for n in range(30))
    text = doc + "\nfunc Serve(listener Listener, handler Handler) error {\n}"
    snippet = Snippet(
        Path("/ws/server.go"),
        0,
        32,
        text,
        "definition",
        3.0,
        "go",
        "Serve",
        brief=lambda: "func Serve(listener Listener, handler Handler) error",
        whole=False,
        signature="func Serve(listener Listener, handler Handler) error {",
    )
    (chosen,) = select([snippet], 150)
    assert chosen.text == "func Serve(listener Listener, handler Handler) error"


def test_an_overload_of_a_definition_shown_is_brief():
    path = Path("/ws/hooks.py")
    first = definition(
        path, 0, 3, "@overload\ndef hook(x: int) -> int:\n    ...", 3.0, "hook", "def hook(x: int) -> int"
    )
    second = definition(
        path, 5, 8, "@overload\ndef hook(x: str) -> str:\n    ...", 2.9, "hook", "def hook(x: str) -> str"
    )
    chosen = select([first, second], 1000)
    assert [s.text for s in chosen] == [first.text, "def hook(x: str) -> str: ..."]


def test_a_type_named_like_a_definition_shown_is_shown_in_full():
    path = Path("/ws/ctx.h")
    typedef = Snippet(path, 0, 0, "typedef struct ctx ctx;", "definition", 3.0, "c", "ctx", symbol_kind="type")
    body = "struct ctx {\n    int state;\n    char buf[64];\n}"
    struct = definition(path, 2, 5, body, 2.9, "ctx", "struct ctx", kind="struct")
    assert [s.text for s in select([typedef, struct], 1000)] == [typedef.text, body]


def test_the_best_listing_may_take_most_of_the_budget():
    listing = "\n".join(f"def member_{n}(self, argument): ..." for n in range(100))
    outline = Snippet(Path("/ws/big.py"), 0, 500, listing, "outline", 4.0, "python", "Big", whole=False)
    other = Snippet(Path("/ws/other.py"), 0, 200, listing.replace("member", "other"), "outline", 1.0, "python")
    chosen = select([outline, other], 400)
    assert chosen[0] is outline and 200 < outline.tokens <= 300  # more than half, at most three quarters
    assert all(s.tokens <= 200 for s in chosen[1:])  # later listings: half the budget in all


def test_many_imported_functions_are_all_named_within_a_small_budget(tmp_path):
    functions = "\n\n".join(big_function(f"helper_{n}", lines=10) for n in range(10))  # shown whole
    imports = ", ".join(f"helper_{n}" for n in range(10))
    calls = "".join(f"    helper_{n}({n})\n" for n in range(10))
    text = f"from lib import {imports}\n\n\ndef main():\n{calls}    return "
    result = gathered(tmp_path, {"lib.py": functions, "main.py": text}, "main.py", 300)
    shown = "\n".join(s.text for s in result.snippets)
    assert result.tokens <= 300
    assert all(f"def helper_{n}(value, option=None)" in shown for n in range(10))


def test_a_class_listing_puts_the_members_the_file_uses_first(tmp_path):
    members = "\n".join(f"    def method_{n:02}(self):\n        return {n}\n" for n in range(40))
    filler = "".join(f"    step_{n} = {n}\n" for n in range(20))  # the use is not near the cursor
    text = f"from big import Big\n\ndef run(other):\n    other.method_37()\n{filler}    value = Big()\n    value."
    result = gathered(tmp_path, {"big.py": f"class Big:\n{members}", "main.py": text}, "main.py", 120)
    listing = result.snippets[0]
    assert listing.kind == "outline" and listing.name == "Big"
    assert "def method_37(self): ..." in listing.text  # used in the file, though on another variable
    assert "def method_30(self): ..." not in listing.text


def test_of_imports_used_as_often_the_one_used_last_ranks_first(tmp_path):
    """Both used once, both far above the cursor (not near names): the later use ranks higher."""
    library = "def early_name(value):\n    return value\n\n\ndef late_name(value):\n    return value\n"
    filler = "".join(f"    step_{n} = {n}\n" for n in range(60))
    text = (
        "from lib import early_name, late_name\n\n\ndef run():\n    early_name(1)\n"
        f"{filler}    late_name(2)\n{filler}    return "
    )
    scores = candidate_scores(tmp_path, {"lib.py": library, "main.py": text}, "main.py")
    assert scores["late_name"] > scores["early_name"]


def test_a_cut_that_loses_the_name_gives_way_to_the_brief_form():
    """`typedef struct {` names nothing: cut to its first lines, the type would go unnamed."""
    fields = "\n".join(f"    unsigned int field_number_{n};" for n in range(40))
    text = f"typedef struct {{\n{fields}\n}} HASH_CTX;"
    snippet = Snippet(
        Path("/ws/hash.h"),
        0,
        41,
        text,
        "definition",
        3.0,
        "c",
        "HASH_CTX",
        brief=lambda: "typedef struct {...} HASH_CTX",
        whole=False,
        signature="typedef struct",
        symbol_kind="struct",
    )
    (chosen,) = select([snippet], 120)
    assert chosen.text == "typedef struct {...} HASH_CTX"
