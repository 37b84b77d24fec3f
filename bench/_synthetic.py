"""A synthetic workspace for the index scale benchmark (bench/index.py --synthetic).

File number i is the same text for a given seed whatever the workspace size, so a workspace of
N files is the first N files of any larger one: growing it from 1,000 to 100,000 files writes
only the new ones. Files are written one at a time (the generator holds one file in memory).

Three languages (half Python, 30% TypeScript, 20% Go), 100 files per folder, sizes drawn from a
log-normal distribution with a mean of about 10 KB (100,000 files are about 1 GB). Each file
defines functions, classes or structs with documentation, and imports one name from an
earlier file of its language, as real code does. One extra file, `generated_tables.py`, is 50 MB:
larger than index.maxFileBytes, it must be skipped without being read.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from pathlib import Path

FILES_PER_FOLDER = 100
FOLDERS_PER_PACKAGE = 100
MEAN_FILE_BYTES = 9_400  # drawn size; the last definition overshoots it by ~600 bytes on average
SIZE_SIGMA = 1.0  # log-normal spread: most files 2-30 KB, a few near the cap
MIN_FILE_BYTES = 400
MAX_FILE_BYTES = 200_000  # below index.maxFileBytes: every ordinary file is indexed
BIG_FILE_NAME = "generated_tables.py"
BIG_FILE_BYTES = 50_000_000
BIG_FILE_MARKER = "GENERATED_TABLES_MARKER"  # a name defined only in the big file
MANIFEST_NAME = ".synthetic-workspace.json"  # not a source file: never indexed
GENERATOR_VERSION = 1  # bump when the texts change: a kept workspace of another version is refused

NOUNS = (
    "order item user account invoice payment session token cache record event queue stream buffer request "
    "response handler config schema report metric shipment customer product price ledger batch job task worker "
    "node graph edge route message channel filter query result snapshot profile address region limit window "
    "retry policy rule"
).split()
VERBS = (
    "get load save build parse render validate compute merge apply fetch update create delete resolve normalize "
    "encode decode format collect"
).split()
LANGUAGE_BY_DIGIT = ("python",) * 5 + ("typescript",) * 3 + ("go",) * 2
EXTENSIONS = {"python": ".py", "typescript": ".ts", "go": ".go"}


# --- names and paths, derived from the file number alone ---


def language_of(number: int) -> str:
    return LANGUAGE_BY_DIGIT[number % 10]


def relative_path(number: int) -> Path:
    folder = number // FILES_PER_FOLDER
    package, module = divmod(folder, FOLDERS_PER_PACKAGE)
    stem = f"{NOUNS[number % len(NOUNS)]}_{number:06}"
    return Path(f"pkg_{package:02}") / f"mod_{module:02}" / (stem + EXTENSIONS[language_of(number)])


def exported_words(number: int) -> tuple[str, str, str]:
    """The words of the one name every file exports (other files import it)."""
    return VERBS[number * 7 % len(VERBS)], NOUNS[number * 13 % len(NOUNS)], NOUNS[number * 31 % len(NOUNS)]


def snake(words: tuple[str, ...] | list[str]) -> str:
    return "_".join(words)


def camel(words: tuple[str, ...] | list[str]) -> str:
    return words[0] + "".join(word.title() for word in words[1:])


def pascal(words: tuple[str, ...] | list[str]) -> str:
    return "".join(word.title() for word in words)


def earlier_file_of_same_language(number: int, rng: random.Random) -> int | None:
    if number < 10:
        return None
    return rng.randrange(number // 10) * 10 + number % 10


# --- file texts ---


def file_size(rng: random.Random) -> int:
    mu = math.log(MEAN_FILE_BYTES) - SIZE_SIGMA**2 / 2  # so that the mean is MEAN_FILE_BYTES
    return int(min(MAX_FILE_BYTES, max(MIN_FILE_BYTES, rng.lognormvariate(mu, SIZE_SIGMA))))


def words(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(VERBS)] + [rng.choice(NOUNS) for _ in range(count - 1)]


def python_body(rng: random.Random, indent: str, b: str) -> list[str]:
    """A function body over the parameter `{b}_items`."""
    a = rng.choice([noun for noun in NOUNS if noun != b])
    lines = [f"{a}_total = 0", f"for {a} in {b}_items:"]
    lines += [f"    if {a} is None:", "        continue", f"    {a}_total += len(str({a})) * {rng.randint(2, 99)}"]
    for _ in range(rng.randint(4, 14)):
        c = rng.choice(NOUNS)
        lines.append(
            rng.choice(
                (
                    f"{c}_value = {snake(words(rng, 2))}({a}_total, {b}_items)",
                    f'log.debug("{rng.choice(VERBS)} {c}: %s", {a}_total)',
                    f'if {a}_total > MAX_{c.upper()}_COUNT:\n{indent}    raise ValueError("too many {c}s")',
                    f"{a}_total = min({a}_total, {rng.randint(100, 9999)})",
                )
            )
        )
    lines.append(f'return {{"{a}": {a}_total, "{b}": len({b}_items)}}')
    return [indent + line for line in lines]


def python_unit(rng: random.Random) -> str:
    if rng.random() < 0.6:
        name = snake(words(rng, 3))
        noun = rng.choice(NOUNS)
        doc = f'    """{name.replace("_", " ").capitalize()} for every {noun} in the batch."""'
        head = f"def {name}({noun}_id: int, {noun}_items: list[str]) -> dict[str, int]:"
        return "\n".join([head, doc, *python_body(rng, "    ", noun)]) + "\n\n\n"
    name = pascal(words(rng, 2)[1:] + [rng.choice(("Service", "Store", "Manager", "Client"))])
    noun = rng.choice(NOUNS)
    lines = [
        "@dataclass",
        f"class {name}:",
        f'    """Keeps {noun}s and their totals for one {rng.choice(NOUNS)}."""',
        "",
        f"    {noun}_id: int",
        f"    {noun}_items: list[str] = field(default_factory=list)",
    ]
    for _ in range(rng.randint(1, 4)):
        method = snake(words(rng, 2))
        lines += ["", f"    def {method}(self, {noun}_items: list[str]) -> dict[str, int]:"]
        lines += [f'        """{method.replace("_", " ").capitalize()} of this {noun}."""']
        lines += python_body(rng, "        ", noun)
    return "\n".join(lines) + "\n\n\n"


def python_header(number: int, rng: random.Random) -> str:
    lines = [f'"""{NOUNS[number % len(NOUNS)].title()} helpers, module {number}."""', ""]
    lines += ["from __future__ import annotations", "", "import logging", "from dataclasses import dataclass, field"]
    other = earlier_file_of_same_language(number, rng)
    if other is not None:
        module = ".".join(relative_path(other).with_suffix("").parts)
        lines += ["", f"from {module} import {snake(exported_words(other))}"]
    lines += ["", "log = logging.getLogger(__name__)"]
    lines += [f"MAX_{noun.upper()}_COUNT = {rng.randint(10, 10_000)}" for noun in rng.sample(NOUNS, 3)]
    verb, *nouns = exported_words(number)
    lines += ["", "", f"def {snake(exported_words(number))}(value: int, names: list[str]) -> int:"]
    lines += [f'    """{verb.title()} the {" ".join(nouns)} total of the names."""', "    return value + len(names)"]
    return "\n".join(lines) + "\n\n\n"


def typescript_statements(rng: random.Random, indent: str) -> str:
    """A few statements over `total`, as function bodies hold."""
    lines = []
    for _ in range(rng.randint(3, 12)):
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        lines.append(
            rng.choice(
                (
                    f'const {noun}Count = {camel([verb, noun])}(total, ["{noun}"]);',
                    f"if (total > {rng.randint(100, 9999)}) {{\n"
                    f'{indent}  throw new Error("too many {noun}s");\n{indent}}}',
                    f'console.debug("{verb} {noun}", total);',
                    f"total = Math.max(0, total - {rng.randint(1, 50)});",
                )
            )
        )
    return "".join(f"{indent}{line}\n" for line in lines)


def typescript_unit(rng: random.Random) -> str:
    noun = rng.choice(NOUNS)
    if rng.random() < 0.5:
        name = camel(words(rng, 3))
        return (
            f"/** {name} for every {noun} of the batch. */\n"
            f"export function {name}({noun}Id: number, {noun}Items: string[]): Record<string, number> {{\n"
            f"  let total = 0;\n"
            f"  for (const {noun} of {noun}Items) {{\n"
            f"    if (!{noun}) {{\n      continue;\n    }}\n"
            f"    total += {noun}.length * {rng.randint(2, 99)};\n"
            f"  }}\n"
            f"{typescript_statements(rng, '  ')}"
            f"  return {{ {noun}Id, total: Math.min(total, {rng.randint(100, 9999)}) }};\n"
            f"}}\n\n"
        )
    name = pascal(words(rng, 2)[1:] + [rng.choice(("Service", "Store", "Manager", "Client"))])
    parts = [
        f"export interface {name}Options {{\n  {noun}Id: number;\n  limit?: number;\n}}\n\n",
        f"/** Keeps {noun}s and their totals. */\nexport class {name} {{\n",
        "  private readonly totals = new Map<string, number>();\n\n",
        f"  constructor(private readonly options: {name}Options) {{}}\n",
    ]
    for _ in range(rng.randint(1, 4)):
        method = camel(words(rng, 2))
        parts.append(
            f"\n  /** {method} of this {noun}. */\n"
            f"  {method}({noun}Items: string[]): number {{\n"
            f'    let total = this.totals.get("{noun}") ?? 0;\n'
            f"    for (const {noun} of {noun}Items) {{\n      total += {noun}.length;\n    }}\n"
            f"{typescript_statements(rng, '    ')}"
            f'    this.totals.set("{noun}", total);\n'
            f"    return Math.min(total, this.options.limit ?? {rng.randint(100, 9999)});\n"
            f"  }}\n"
        )
    parts.append("}\n\n")
    return "".join(parts)


def typescript_header(number: int, rng: random.Random) -> str:
    lines = [f"// {NOUNS[number % len(NOUNS)]} helpers, module {number}.", ""]
    other = earlier_file_of_same_language(number, rng)
    if other is not None:
        target = relative_path(other).with_suffix("")
        lines.append(f'import {{ {camel(exported_words(other))} }} from "../../{target.as_posix()}";')
    verb, *nouns = exported_words(number)
    lines += [
        "",
        f"/** {verb.title()} the {' '.join(nouns)} total of the names. */",
        f"export function {camel(exported_words(number))}(value: number, names: string[]): number {{",
        "  return value + names.length;",
        "}",
    ]
    return "\n".join(lines) + "\n\n"


def go_statements(rng: random.Random) -> str:
    """A few statements over `total`, as function bodies hold."""
    lines = []
    for _ in range(rng.randint(3, 12)):
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        lines.append(
            rng.choice(
                (
                    f'{noun}Count := {pascal([verb, noun])}(total, []string{{"{noun}"}})\n\t_ = {noun}Count',
                    f'if total > {rng.randint(100, 9999)} {{\n\t\tpanic("too many {noun}s")\n\t}}',
                    f'fmt.Println("{verb} {noun}", total)',
                    f"total = max(0, total-{rng.randint(1, 50)})",
                )
            )
        )
    return "".join(f"\t{line}\n" for line in lines)


def go_unit(rng: random.Random) -> str:
    noun = rng.choice(NOUNS)
    if rng.random() < 0.5:
        name = pascal(words(rng, 3))
        return (
            f"// {name} sums every {noun} of the batch.\n"
            f"func {name}({noun}ID int, {noun}Items []string) map[string]int {{\n"
            f"\ttotal := 0\n"
            f"\tfor _, {noun} := range {noun}Items {{\n"
            f'\t\tif {noun} == "" {{\n\t\t\tcontinue\n\t\t}}\n'
            f"\t\ttotal += len({noun}) * {rng.randint(2, 99)}\n"
            f"\t}}\n"
            f"{go_statements(rng)}"
            f'\treturn map[string]int{{"{noun}": {noun}ID, "total": total}}\n'
            f"}}\n\n"
        )
    name = pascal(words(rng, 2)[1:] + [rng.choice(("Service", "Store", "Manager", "Client"))])
    parts = [f"// {name} keeps {noun}s and their totals.\ntype {name} struct {{\n\tID    int\n\tItems []string\n}}\n"]
    for _ in range(rng.randint(1, 4)):
        method = pascal(words(rng, 2))
        parts.append(
            f"\n// {method} of this {noun}.\n"
            f"func (s *{name}) {method}(limit int) int {{\n"
            f"\ttotal := 0\n"
            f"\tfor _, item := range s.Items {{\n\t\ttotal += len(strings.TrimSpace(item))\n\t}}\n"
            f"{go_statements(rng)}"
            f"\tif total > limit {{\n\t\treturn limit\n\t}}\n"
            f'\tfmt.Println("{noun}", total)\n'
            f"\treturn total\n"
            f"}}\n"
        )
    return "".join(parts) + "\n"


def go_header(number: int, rng: random.Random) -> str:
    verb, *nouns = exported_words(number)
    return (
        f"// Package {relative_path(number).parent.name.replace('_', '')} holds {NOUNS[number % len(NOUNS)]} "
        f"helpers, module {number}.\n"
        f"package {relative_path(number).parent.name.replace('_', '')}\n\n"
        'import (\n\t"fmt"\n\t"strings"\n)\n\n'
        f"// {pascal(exported_words(number))} does {verb} the {' '.join(nouns)} total of the names.\n"
        f"func {pascal(exported_words(number))}(value int, names []string) int {{\n"
        f"\treturn value + len(names)\n}}\n\n"
    )


HEADERS: dict[str, Callable[[int, random.Random], str]] = {
    "python": python_header,
    "typescript": typescript_header,
    "go": go_header,
}
UNITS: dict[str, Callable[[random.Random], str]] = {"python": python_unit, "typescript": typescript_unit, "go": go_unit}


def file_text(number: int, seed: int = 0) -> str:
    """The text of file `number`: a header, then definitions until the drawn size is reached."""
    rng = random.Random(seed * 10_000_019 + number)
    language = language_of(number)
    target = file_size(rng)
    parts = [HEADERS[language](number, rng)]
    size = len(parts[0])
    unit = UNITS[language]
    while size < target:
        parts.append(unit(rng))
        size += len(parts[-1])
    return "".join(parts)


def write_big_file(path: Path, size: int = BIG_FILE_BYTES) -> None:
    """A generated data module, written in 1 MB pieces."""
    row = "    (" + ", ".join(str(value) for value in range(100, 140)) + "),\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(f'"""Generated tables."""\n\n{BIG_FILE_MARKER} = True\n\nTABLE = [\n')
        written = 0
        piece = row * (1_000_000 // len(row))
        while written < size:
            handle.write(piece)
            written += len(piece)
        handle.write("]\n")


# --- the workspace on disk ---


def ensure_workspace(root: Path, files: int, seed: int = 0, big_file: bool = True) -> int:
    """Make `root` hold files 0..files-1 (and the big file). Files already written by an earlier
    call with the same seed are kept; returns how many files were written now."""
    manifest_path = root / MANIFEST_NAME
    identity = {"generator": GENERATOR_VERSION, "seed": seed}
    manifest = {**identity, "files": 0}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if {key: manifest.get(key) for key in identity} != identity:
            raise SystemExit(f"{root} holds another synthetic workspace ({manifest}); delete it or pick another folder")
    elif root.exists() and any(root.iterdir()):
        raise SystemExit(f"{root} is not empty and not a synthetic workspace; pick an empty or new folder")
    root.mkdir(parents=True, exist_ok=True)
    start = manifest["files"]
    for number in range(start, files):
        path = root / relative_path(number)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(number, seed), encoding="utf-8")
    remove_files(root, files, start)
    if big_file and not (root / BIG_FILE_NAME).exists():
        write_big_file(root / BIG_FILE_NAME)
    manifest_path.write_text(json.dumps({**identity, "files": files}))
    return max(files - start, 0)


def remove_files(root: Path, keep: int, present: int) -> None:
    """Shrink a workspace that holds more files than asked for."""
    for number in range(keep, present):
        (root / relative_path(number)).unlink(missing_ok=True)
