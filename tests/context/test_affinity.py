"""Which imported name the cursor is about to use: words shared with the cursor's line and the
enclosing definition's head, names not used yet, predicates where a condition starts."""

from __future__ import annotations

from workspace_fixture import candidate_scores, gathered

from lsp_server.context.affinity import (
    NO_WORDS,
    NameAffinity,
    Sequels,
    cursor_words,
    import_spans,
    names_that_followed,
    words_after_same_text,
)

NAMES = ["merge_cookies", "parse_header_links", "to_native_string", "iter_slices", "get_cookie_header"]


def test_a_name_sharing_the_lines_words_comes_first():
    text = "def prepare(self):\n    cookie_header = "
    affinity = NameAffinity(NAMES, cursor_words(text, len(text), "def prepare(self):"))
    ranked = sorted(NAMES, key=lambda name: -affinity(name))
    assert ranked[0] == "get_cookie_header"  # cookie and header, both on the line
    assert affinity("iter_slices") == 0.0


def test_a_word_every_candidate_has_counts_less_than_a_rare_one():
    names = ["structure_list", "structure_dict", "structure_counter"]
    text = "    h = "
    head = "def gen_structure_counter(self, cl):"
    affinity = NameAffinity(names, cursor_words(text, len(text), head))
    assert affinity("structure_counter") > affinity("structure_list") > 0.0


def test_the_head_of_the_enclosing_definition_counts_less_than_the_line():
    names = ["make_timeout", "make_proxy"]
    text = "    proxy = "
    affinity = NameAffinity(names, cursor_words(text, len(text), "def configure(timeout):"))
    assert affinity("make_proxy") > affinity("make_timeout") > 0.0


def test_a_predicate_where_a_condition_starts():
    names = ["is_sequence", "list_factory"]
    for line in ("    if ", "    if not ", "    while x and ", "  if (!"):
        affinity = NameAffinity(names, cursor_words(line, len(line), ""))
        assert affinity("is_sequence") > affinity("list_factory"), line
    affinity = NameAffinity(names, cursor_words("    x = ", 8, ""))
    assert affinity("is_sequence") == affinity("list_factory") == 0.0


def test_no_words_no_affinity():
    assert NameAffinity(NAMES, NO_WORDS)("get_cookie_header") == 0.0


def _imported_scores(tmp_path, text: str) -> dict[str, float]:
    library = "".join(f"def {name}(value):\n    return value\n\n\n" for name in NAMES)
    return candidate_scores(tmp_path, {"lib.py": library, "main.py": text}, "main.py")


def test_gathering_ranks_the_imported_name_the_line_asks_for_first(tmp_path):
    text = f"from lib import {', '.join(NAMES)}\n\n\ndef prepare(request):\n    cookie_header = "
    scores = _imported_scores(tmp_path, text)
    best = scores.pop("get_cookie_header")
    assert best > max(scores.values()) + 0.5


def test_an_import_not_used_yet_ranks_above_one_used_once_far_above(tmp_path):
    """The file will use `to_native_string` somewhere; `iter_slices` it has used, once, long ago."""
    filler = "".join(f"    step_{n} = merge_cookies({n})\n" for n in range(80))  # used often: `usage` is relative
    text = (
        "from lib import iter_slices, to_native_string, merge_cookies\n\n\n"
        f"def run():\n    iter_slices(1)\n{filler}    return "
    )
    scores = _imported_scores(tmp_path, text)
    assert scores["to_native_string"] > scores["iter_slices"]


def test_words_of_the_names_used_just_above_count_less_than_the_lines():
    names = ["list_structure_factory", "is_mutable_set", "tuple_factory"]
    text = "    hooks = [\n        (is_deque, deque_structure_hook),\n        (is_sequence, "
    affinity = NameAffinity(names, cursor_words(text, len(text), ""))
    assert affinity("list_structure_factory") > 0.0 == affinity("tuple_factory") == affinity("is_mutable_set")
    line = "    structure_hook = "
    on_the_line = NameAffinity(names, cursor_words(line, len(line), ""))("list_structure_factory")
    assert affinity("list_structure_factory") < on_the_line


def test_the_candidates_own_names_above_give_them_no_words():
    """An import list above the cursor names every candidate: that says nothing of which comes."""
    text = f"from lib import {', '.join(NAMES)}\n\n\ndef run():\n    value = "
    affinity = NameAffinity(NAMES, cursor_words(text, len(text), "def run():"))
    assert all(affinity(name) == 0.0 for name in NAMES)


def test_a_line_above_that_starts_alike_says_what_kind_of_name_comes():
    names = ["is_deque", "deque_factory", "list_factory"]
    text = "    hooks = [\n        (is_mapping, mapping_hook),\n        (is_sequence, sequence_hook),\n        ("
    cursor = cursor_words(text, len(text), "")
    assert cursor.parallel == "is"
    affinity = NameAffinity(names, cursor)
    assert affinity("is_deque") > affinity("deque_factory") == affinity("list_factory") == 0.0
    second = text + "is_deque, "  # the second place of the row: a hook
    assert cursor_words(second, len(second), "").parallel == "sequence"
    assert cursor_words("x = 1\ny = ", 10, "").parallel == ""  # no line above starts like `y = `


def test_a_name_that_starts_as_typed_comes_first():
    """Its first two characters count (the context is reused while they stay the same)."""
    names = ["merge_cookies", "cookie_header", "netrc_auth"]
    text = "def prepare(self):\n    value = cookie_h"
    cursor = cursor_words(text, len(text), "")
    assert cursor.typed == "co"
    affinity = NameAffinity(names, cursor)
    assert affinity("cookie_header") > affinity("merge_cookies") + 1.0
    assert cursor_words("x = c", 5, "").typed == ""  # one character says too little
    assert cursor_words("x = client.get_co", 17, "").typed == ""  # a member: the listings' business


def test_the_member_listing_puts_what_is_typed_after_the_dot_first(tmp_path):
    members = "".join(f"    def alpha_{n:02}(self):\n        return {n}\n" for n in range(40))
    library = f"class Big:\n{members}    def zeta_target(self):\n        return 0\n"
    text = "from big import Big\n\ndef run():\n    value = Big()\n    value.zet"
    result = gathered(tmp_path, {"big.py": library, "main.py": text}, "main.py", 120)
    listing = result.snippets[0]
    assert listing.kind == "outline" and listing.text.split("\n")[1].strip() == "def zeta_target(self): ..."


def test_the_name_that_came_after_the_one_used_last_earlier_in_the_file():
    """Hooks registered in the same order twice: after `is_mutable_set`, `is_frozenset`."""
    names = {"is_mapping", "is_mutable_set", "is_frozenset", "is_sequence"}
    text = (
        "from compat import is_mapping, is_mutable_set, is_frozenset, is_sequence\n"
        "table = [\n    (is_mapping, a),\n    (is_mutable_set, b),\n    (is_frozenset, c),\n    (is_sequence, d),\n]\n"
        + "\n" * 30
        + "register(is_mapping, x)\nregister(is_mutable_set, y)\nregister(\n    "
    )
    spans = import_spans(text, [0])
    followers = names_that_followed(text, len(text), names, spans)
    assert followers == {"is_frozenset": 1.0}
    affinity = NameAffinity(names, cursor_words(text, len(text), ""), followers)
    assert max(names, key=affinity) == "is_frozenset"


def test_an_import_list_says_nothing_of_what_comes_next():
    """The names an import statement lists one after another are no sequence the code repeats."""
    names = {"alpha", "beta", "gamma"}
    text = "from lib import (\n    alpha,\n    beta,\n)\nfrom other import gamma\n\n\nx = alpha\ny = "
    assert names_that_followed(text, len(text), names, import_spans(text, [0, 4])) == {}
    assert names_that_followed(text, len(text), names, []) == {"beta": 1.0}


def test_the_name_that_came_after_the_same_text_before():
    """`response_model: Any = ` was followed by `Default(...)` each time the file wrote it."""
    signature = (
        "def route{n}(\n    path: str,\n    response_model: Any = Default(None),\n    tags: list = None,\n):\n\n"
    )
    text = "".join(signature.format(n=n) for n in range(3)) + "def route9(\n    path: str,\n    response_model: Any = "
    assert words_after_same_text(text, len(text), []) == ["Default", "Default", "Default"]
    # Spaces between the tokens do not matter; another name before them does.
    assert words_after_same_text("x = f(a,  b)\ny = f(a, c)\nz = f(a,", 36, []) == ["c", "b"]
    assert words_after_same_text("x = f(a, b)\nz = f(ab,", 21, []) == []
    # Too little text before the cursor to say anything: no hint.
    assert words_after_same_text("x = ", 4, []) == []
    names = {"Default", "Any", "DefaultPlaceholder"}
    shares = Sequels(text, len(text), []).shares(names)
    assert set(shares) == {"Default"} and shares["Default"] >= 1.0
