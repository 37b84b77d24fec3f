"""The type of a variable at `variable.|`, beyond annotations and constructors: JSDoc comments
and TypeScript declaration files, another variable's member, a long function's parameters,
a variable declared in a header, and the members the code uses on an untyped variable."""

from __future__ import annotations

import textwrap

import pytest
from workspace_fixture import count_tokens, indexed_workspace

from lsp_server.context import ContextRetriever
from lsp_server.context.types import TypeHint, member_type, variable_types
from lsp_server.index import WorkspaceIndex


def shown(index: WorkspaceIndex, relative: str, text: str, first_only: bool = False) -> str:
    """What the chosen snippets show for a cursor at the end of `text` (or the best one)."""
    path = index.roots[0] / relative
    text = textwrap.dedent(text).lstrip("\n")
    index.update_document(path, text)
    result = ContextRetriever(index).gather(path, text, len(text), 2048, count_tokens, time_budget_ms=1000)
    snippets = result.snippets[:1] if first_only else result.snippets
    return "\n".join(snippet.text for snippet in snippets)


# --- reading the hints off the text ---


def test_jsdoc_param_type_and_import_types():
    text = (
        "/**\n * @param {import('./internal').VNode} node\n * @param {Options} [opts]\n */\nfunction f(node, opts) {\n"
    )
    assert next(variable_types(text, len(text), "node", "javascript")) == TypeHint("VNode", False)
    assert next(variable_types(text, len(text), "opts", "javascript")) == TypeHint("Options", False)


def test_jsdoc_type_on_the_line_before_a_declaration():
    text = "/** @type {Component} */\nlet component, other;\n"
    assert next(variable_types(text, len(text), "component", "javascript")) == TypeHint("Component", False)
    one_line = "/** @type {Handle} */ const ref = null;\n"
    assert next(variable_types(one_line, len(one_line), "ref", "javascript")) == TypeHint("Handle", False)


def test_jsdoc_this():
    text = "/**\n * @this {Component}\n */\nfunction render() {\n  this.x = 1;\n  "
    assert next(variable_types(text, len(text), "this", "javascript")) == TypeHint("Component", False)


def test_a_member_of_another_variable_nearest_first():
    text = "c = new Widget();\nc = first.owner = node.owner;\n"
    assert list(variable_types(text, len(text), "c", "javascript")) == [
        TypeHint("node.owner", False, member=True),
        TypeHint("Widget", False),
    ]


@pytest.mark.parametrize(
    "signature, name, language, expected",
    [
        ("_component: Component | null", "_component", "typescript", "Component"),
        ("client: Optional[Client] = None", "client", "python", "Client"),
        ("client = Client(url)", "client", "python", "Client"),
        ("private final HttpClient client", "client", "java", "HttpClient"),
        ("extern struct config conf", "conf", "c", "config"),
        ("next *Node", "next", "go", "Node"),
    ],
)
def test_member_type_from_its_definition(signature, name, language, expected):
    hint = member_type(signature, name, language)
    assert hint is not None and hint.name == expected


# --- resolving them in a workspace ---


@pytest.fixture
def jsdoc(tmp_path):
    return indexed_workspace(
        tmp_path,
        {
            "src/index.d.ts": """
                export interface VNode {
                    type: string;
                    key: any;
                }
                export interface Component {
                    props: object;
                    setState(state: object): void;
                }
            """,
            "src/internal.d.ts": """
                import * as preact from './index';
                export interface VNode extends preact.VNode {
                    _children: VNode[] | null;
                    _component: Component | null;
                    _flags: number;
                }
                export interface Component extends preact.Component {
                    _dirty: boolean;
                    _vnode: VNode | null;
                }
            """,
            "src/other.js": "export const EMPTY = {};\n",
        },
    )


def test_jsdoc_param_finds_the_declared_interface_that_fits(jsdoc):
    # Two interfaces named VNode: the one with the members the code uses, and extends the other.
    text = shown(
        jsdoc,
        "src/diff.js",
        """
        import { EMPTY } from './other';
        /**
         * @param {VNode} vnode
         */
        export function diff(vnode) {
            if (vnode._flags) return EMPTY;
            return vnode.""",
    )
    assert "_component: Component | null" in text


def test_jsdoc_type_and_a_member_chain(jsdoc):
    text = shown(
        jsdoc,
        "src/diff.js",
        """
        /** @param {VNode} oldVNode */
        export function diff(oldVNode) {
            /** @type {any} */
            let c;
            c = oldVNode._component;
            return c.""",
    )
    assert "_dirty: boolean" in text


def test_jsdoc_this_types_a_plain_function(jsdoc):
    text = shown(
        jsdoc,
        "src/component.js",
        """
        /**
         * @this {Component}
         */
        export function forceUpdate() {
            return this.""",
    )
    assert "_dirty: boolean" in text


def test_a_long_function_s_doc_comment_still_types_its_parameters(jsdoc):
    filler = "".join(f"    const value{i} = {i} * 2 + {i};\n" for i in range(400))
    source = "/**\n * @param {VNode} vnode\n */\nexport function diff(vnode) {\n" + filler + "    return vnode."
    path = jsdoc.roots[0] / "src/long.js"
    jsdoc.update_document(path, source)
    result = ContextRetriever(jsdoc).gather(path, source, len(source), 2048, count_tokens, time_budget_ms=1000)
    assert any("_flags: number" in snippet.text for snippet in result.snippets)


def test_c_global_declared_in_a_header_shows_its_struct_fields(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "plugin.h": """
                struct plugin_state {
                    int workers;
                    char *home;
                };
                extern struct plugin_state state;
            """,
        },
    )
    text = shown(
        index,
        "plugin.c",
        """
        #include "plugin.h"
        void start(void) {
            log_home(state.""",
    )
    assert "char *home" in text


def test_python_untyped_variable_typed_by_the_members_it_uses(tmp_path):
    index = indexed_workspace(
        tmp_path,
        {
            "pkg/models.py": """
                class Attribute:
                    def __init__(self, name, init):
                        self.name = name
                        self.init = init
                        self.alias = None

                class Factory:
                    def __init__(self, factory):
                        self.factory = factory
            """,
        },
    )
    text = shown(
        index,
        "pkg/funcs.py",
        """
        from .models import Attribute, Factory

        def names(attrs):
            for a in attrs:
                if not a.init:
                    continue
                yield a.""",
        first_only=True,
    )
    assert "self.alias = None" in text
    assert "self.factory = factory" not in text
