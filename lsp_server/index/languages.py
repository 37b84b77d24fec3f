"""Which grammar parses which file, and the tree-sitter queries that find definitions and imports.

Each language is a `LanguageSpec`: file extensions, the grammar, a definitions query and an
imports query. In a definitions query every pattern captures the definition node as
`@definition.<kind>` (or `@scope.<kind>` for a container that is not itself a symbol, such as a
Rust `impl` block) and its name as `@name`. When several patterns match the same node, the
first pattern in the query wins, so specific patterns come before general ones.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tree_sitter


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    load_grammar: Callable[[], object]  # returns the grammar's language capsule
    definitions_query: str
    imports_query: str
    # Nodes that wrap a definition without being one (export, decorators, templates): the
    # symbol's range and its leading comments are taken from the wrapper.
    wrapper_types: frozenset[str] = frozenset()
    scope_separator: str = "."
    # How deep in the tree a definition or an import may start. Queries that skip deep nodes run
    # 3-5x faster; what lies deeper is local to function bodies, which the index leaves out.
    definitions_max_depth: int = 10
    imports_max_depth: int = 4

    @functools.cached_property
    def language(self) -> tree_sitter.Language:
        return tree_sitter.Language(self.load_grammar())

    @functools.cached_property
    def definitions(self) -> tree_sitter.Query:
        return tree_sitter.Query(self.language, self.definitions_query)

    @functools.cached_property
    def imports(self) -> tree_sitter.Query:
        return tree_sitter.Query(self.language, self.imports_query)


def _grammar(module: str, function: str = "language") -> Callable[[], object]:
    def load() -> object:
        return getattr(__import__(module), function)()

    return load


# Module variables include those assigned under a top-level `if`/`try` (`if TYPE_CHECKING:`,
# `try: import x except ImportError: x = None`); instance attributes are the `self.name = ...`
# assignments of `__init__` (captured as @definition.attribute: extract.py makes them fields
# of the class, not locals of the method).
_PYTHON_MODULE_BLOCKS = (
    "(if_statement consequence: {b})",
    "(if_statement alternative: (elif_clause consequence: {b}))",
    "(if_statement alternative: (else_clause body: {b}))",
    "(try_statement body: {b})",
    "(try_statement (except_clause {b}))",
)
_PYTHON_BLOCK_VARIABLE = "(block (expression_statement (assignment left: (identifier) @name)) @definition.variable)"
PYTHON_DEFINITIONS = (
    """
(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class
(module (expression_statement (assignment left: (identifier) @name)) @definition.variable)
(module (type_alias_statement left: (type (identifier) @name)) @definition.type)
(class_definition body: (block (expression_statement (assignment
  left: (identifier) @_slots (#eq? @_slots "__slots__")
  right: [(tuple (string (string_content) @name)) (list (string (string_content) @name))]) @definition.field)))
(class_definition body: (block (expression_statement (assignment left: (identifier) @name)) @definition.field))
(class_definition body: (block (function_definition
  name: (identifier) @_init (#eq? @_init "__init__")
  body: (block (expression_statement
    (assignment left: (attribute object: (identifier) @_self (#eq? @_self "self") attribute: (identifier) @name))
  ) @definition.attribute))))
"""
    + "\n".join(f"(module {block.format(b=_PYTHON_BLOCK_VARIABLE)})" for block in _PYTHON_MODULE_BLOCKS)
    + "\n"
)
PYTHON_IMPORTS = """
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
"""

# Shared by JavaScript and TypeScript (both grammars have these node types).
_JS_COMMON_DEFINITIONS = """
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(class_declaration name: (_) @name) @definition.class
(method_definition name: (_) @name) @definition.method
(program (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
(program (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable)
(program (export_statement
  declaration: (lexical_declaration (variable_declarator name: (identifier) @name)) @definition.variable))
(program (export_statement
  declaration: (variable_declaration (variable_declarator name: (identifier) @name)) @definition.variable))
"""
JAVASCRIPT_DEFINITIONS = (
    _JS_COMMON_DEFINITIONS
    + """
(field_definition property: (_) @name) @definition.field
"""
)
TYPESCRIPT_DEFINITIONS = (
    _JS_COMMON_DEFINITIONS
    + """
(abstract_class_declaration name: (_) @name) @definition.class
(interface_declaration name: (_) @name) @definition.interface
(type_alias_declaration name: (_) @name) @definition.type
(enum_declaration name: (_) @name) @definition.enum
(abstract_method_signature name: (_) @name) @definition.method
(method_signature name: (_) @name) @definition.method
(function_signature name: (_) @name) @definition.function
(internal_module name: (_) @name) @definition.module
(module name: (_) @name) @definition.module
(public_field_definition name: (_) @name) @definition.field
(property_signature name: (_) @name) @definition.field
"""
)
# Imports, and re-exports (`export { a } from "./x"`, `export * from "./x"`), which bind names
# for the files that import this one just as imports do.
JS_IMPORTS = """
(import_statement) @import
(export_statement source: (_)) @import
"""

GO_DEFINITIONS = """
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.variable))
(source_file (var_declaration (var_spec_list (var_spec name: (identifier) @name) @definition.variable)))
(field_declaration name: (field_identifier) @name) @definition.field
(method_elem name: (field_identifier) @name) @definition.method
"""
GO_IMPORTS = "(import_spec) @import"

RUST_DEFINITIONS = """
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(impl_item type: (_) @name) @scope.impl
(mod_item name: (identifier) @name) @definition.module
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.variable
(type_item name: (type_identifier) @name) @definition.type
(macro_definition name: (identifier) @name) @definition.macro
(field_declaration name: (field_identifier) @name) @definition.field
(enum_variant name: (identifier) @name) @definition.field
"""
RUST_IMPORTS = "(use_declaration) @import"

JAVA_DEFINITIONS = """
(class_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(annotation_type_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(enum_constant name: (identifier) @name) @definition.constant
"""
JAVA_IMPORTS = "(import_declaration) @import"

# C declarations that may hold top-level declarations: the file, #if blocks, extern "C" and
# (for C++) namespace bodies. Variables are only looked for there so that the query does not
# visit every local variable in every function body.
_C_TOP_LEVEL_PARENTS = ("translation_unit", "preproc_ifdef", "preproc_if", "preproc_else", "declaration_list")
_C_VARIABLES = "".join(
    f"""
({parent} (declaration declarator: (init_declarator declarator: (identifier) @name)) @definition.variable)
({parent} (declaration declarator: (identifier) @name) @definition.variable)"""
    for parent in _C_TOP_LEVEL_PARENTS
)
# What can name a C++ function: plain, method, Class::method, operator==, ~Class.
_C_FUNCTION_NAMES = "[(identifier) (field_identifier) (qualified_identifier) (operator_name) (destructor_name)]"


def _c_functions(name_types: str) -> str:
    """Definitions and prototypes whose name sits under zero, one or two pointer declarators."""
    heads = [
        "(function_declarator declarator: {n} @name)",
        "(pointer_declarator declarator: (function_declarator declarator: {n} @name))",
        "(pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: {n} @name)))",
    ]
    patterns = []
    for head in heads:
        head = head.format(n=name_types)
        patterns.append(f"(function_definition declarator: {head}) @definition.function")
        patterns.append(f"(declaration declarator: {head}) @definition.function")
    return "\n".join(patterns)


# Struct members, under zero, one or two pointers, as arrays, or as function pointers.
_C_FIELDS = """
(field_declaration declarator: (field_identifier) @name) @definition.field
(field_declaration declarator: (pointer_declarator declarator: (field_identifier) @name)) @definition.field
(field_declaration declarator: (pointer_declarator
  declarator: (pointer_declarator declarator: (field_identifier) @name))) @definition.field
(field_declaration declarator: (array_declarator declarator: (field_identifier) @name)) @definition.field
(field_declaration declarator: (function_declarator declarator: (parenthesized_declarator
  (pointer_declarator declarator: (field_identifier) @name)))) @definition.field
"""
C_DEFINITIONS = (
    _c_functions("(identifier)")
    + """
(type_definition type: (struct_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.struct
(type_definition type: (union_specifier !name body: (_)) declarator: (type_identifier) @name) @definition.struct
(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro
"""
    + _C_FIELDS
    + _C_VARIABLES
)
CPP_DEFINITIONS = (
    _c_functions(_C_FUNCTION_NAMES)
    + """
(function_definition declarator: (reference_declarator (function_declarator declarator: """
    + _C_FUNCTION_NAMES
    + """ @name))) @definition.function
(field_declaration declarator: (function_declarator declarator: (_) @name)) @definition.method
(class_specifier name: (_) @name body: (_)) @definition.class
(struct_specifier name: (_) @name body: (_)) @definition.struct
(union_specifier name: (_) @name body: (_)) @definition.struct
(enum_specifier name: (_) @name body: (_)) @definition.enum
(namespace_definition name: (_) @name) @definition.module
(field_declaration declarator: (field_identifier) @name) @definition.field
(alias_declaration name: (_) @name) @definition.type
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.constant
(preproc_function_def name: (identifier) @name) @definition.macro
"""
    + _C_VARIABLES
)
C_IMPORTS = "(preproc_include) @import"


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python",
        (".py", ".pyi"),
        _grammar("tree_sitter_python"),
        PYTHON_DEFINITIONS,
        PYTHON_IMPORTS,
        wrapper_types=frozenset({"decorated_definition"}),
        definitions_max_depth=8,
    ),
    LanguageSpec(
        "javascript",
        (".js", ".mjs", ".cjs", ".jsx"),
        _grammar("tree_sitter_javascript"),
        JAVASCRIPT_DEFINITIONS,
        JS_IMPORTS,
        wrapper_types=frozenset({"export_statement"}),
    ),
    LanguageSpec(
        "typescript",
        (".ts", ".mts", ".cts"),
        _grammar("tree_sitter_typescript", "language_typescript"),
        TYPESCRIPT_DEFINITIONS,
        JS_IMPORTS,
        wrapper_types=frozenset({"export_statement", "ambient_declaration", "expression_statement"}),
    ),
    LanguageSpec(
        "tsx",
        (".tsx",),
        _grammar("tree_sitter_typescript", "language_tsx"),
        TYPESCRIPT_DEFINITIONS,
        JS_IMPORTS,
        wrapper_types=frozenset({"export_statement", "ambient_declaration", "expression_statement"}),
    ),
    LanguageSpec(
        "go",
        (".go",),
        _grammar("tree_sitter_go"),
        GO_DEFINITIONS,
        GO_IMPORTS,
        wrapper_types=frozenset({"const_declaration", "var_declaration", "type_declaration"}),
    ),
    LanguageSpec(
        "rust",
        (".rs",),
        _grammar("tree_sitter_rust"),
        RUST_DEFINITIONS,
        RUST_IMPORTS,
        scope_separator="::",
    ),
    LanguageSpec("java", (".java",), _grammar("tree_sitter_java"), JAVA_DEFINITIONS, JAVA_IMPORTS),
    LanguageSpec("c", (".c", ".h"), _grammar("tree_sitter_c"), C_DEFINITIONS, C_IMPORTS, imports_max_depth=6),
    LanguageSpec(
        "cpp",
        (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl"),
        _grammar("tree_sitter_cpp"),
        CPP_DEFINITIONS,
        C_IMPORTS,
        wrapper_types=frozenset({"template_declaration"}),
        scope_separator="::",
        definitions_max_depth=12,
        imports_max_depth=6,
    ),
)

LANGUAGES_BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in LANGUAGES}
LANGUAGES_BY_EXTENSION: dict[str, LanguageSpec] = {
    extension: spec for spec in LANGUAGES for extension in spec.extensions
}


def language_for_path(path: Path | str) -> LanguageSpec | None:
    """The language of a file from its extension, or None when the index does not parse it."""
    suffix = Path(path).suffix.lower()
    return LANGUAGES_BY_EXTENSION.get(suffix)


# A ".h" file is C or C++. C++ parsed with the C grammar gives few symbols and is 5x slower
# (error recovery everywhere), so a header that uses C++ syntax is parsed as C++.
_CPP_SYNTAX = re.compile(rb"^\s*(?:namespace|template|class)\b|\w::\w", re.MULTILINE)


def language_for_source(path: Path | str, source: bytes) -> LanguageSpec | None:
    """language_for_path, refined by the content where the extension is ambiguous."""
    spec = language_for_path(path)
    if spec is not None and spec.name == "c" and str(path).lower().endswith(".h"):
        if _CPP_SYNTAX.search(source, 0, 65_536):
            return LANGUAGES_BY_NAME["cpp"]
    return spec


# tree-sitter parsers hold per-parse state, so each thread gets its own, one per language.
_thread_parsers = threading.local()


def parser_for(spec: LanguageSpec) -> tree_sitter.Parser:
    parsers = getattr(_thread_parsers, "by_language", None)
    if parsers is None:
        parsers = _thread_parsers.by_language = {}
    parser = parsers.get(spec.name)
    if parser is None:
        parser = parsers[spec.name] = tree_sitter.Parser(spec.language)
    return parser
