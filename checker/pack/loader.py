"""Loading rule packs (packs.md): `pack.yaml`, rule files, `extends`, overrides and parameters.

A pack is data. Loading never runs code and never reads outside the pack's directory and the
directories of the packs it extends; every structural problem is collected with its
file:line:col, and all of them are raised together as one PackError.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from checker import resources
from checker.errors import Location, PackError, ParameterError, Problem, UsageError, InputError
from checker.index import Dimension, Grade, IndexSpec
from checker.inputs.source import Document, MarkedDict, MarkedList, Span, key_span_of, load_file, offset_position, span_of

PARAM_TYPES = ("number", "integer", "string", "boolean", "date", "list")
RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
TEST_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.\-\u4e00-\u9fff]{0,79}$")
PACK_KEYS = {"id", "title", "version", "extends", "description", "parameters", "constants", "severities", "overrides",
             "index"}
RULE_KEYS = {"id", "title", "severity", "tags", "refs", "applies", "for_each", "when", "checks", "message",
             "remedy", "tests", "composite", "values", "description", "enabled", "history"}
PART_KEYS = {"for_each", "when", "message"}
TEST_KEYS = {"name", "description", "unit", "fires", "also", "not_also", "params", "status", "evidence"}
PARAM_KEYS = {"type", "default", "title", "description", "min", "max"}
OVERRIDE_KEYS = {"severity", "enabled"}
MAX_EXTENDS_DEPTH = 8


@dataclass(frozen=True)
class Text:
    """A string from a pack file with what is needed to point at a character inside it."""

    value: str
    file: str
    span: Span | None
    doc_text: str = ""

    def location(self, offset: int = 0) -> Location:
        """The 1-based file:line:col of character `offset` of the value."""
        if self.span is None:
            return Location(self.file, 1, 1)
        line, col = offset_position(self.doc_text, self.span, offset)
        return Location(self.file, line, col)


@dataclass(frozen=True)
class ParamDecl:
    """A declared parameter with its type, default value and title."""

    name: str
    type: str
    default: Any
    title: str
    description: str
    location: Location
    minimum: float | None = None
    maximum: float | None = None
    origin: str = ""               # id of the pack that set the current default
    history: tuple[tuple[str, Any], ...] = ()   # (pack id, default) from the root pack down, one per pack that set it


@dataclass(frozen=True)
class TestCase:
    """One test case of a rule: a record patch and the expected number of findings."""

    name: str
    unit: Any                      # mapping deep-merged onto the pack's tests/base.yaml
    fires: int
    also: tuple[str, ...]
    not_also: tuple[str, ...]
    params: dict
    status: str | None
    evidence: tuple[str, ...] | None
    description: str
    location: Location


@dataclass(frozen=True)
class Part:
    """One diagnosis part of a rule: optional `for_each`, a `when` condition, optional message."""

    for_each: Text | None
    when: Text
    message: Text | None
    location: Location


@dataclass
class RuleSpec:
    """A rule as written in the pack (expressions not yet compiled)."""

    id: str
    title: str
    severity: str
    tags: tuple[str, ...]
    refs: tuple[str, ...]
    parts: list[Part]
    message: Text | None
    remedy: Text | None
    applies: Text | None
    values: dict[str, Text]
    tests: list[TestCase]
    composite: bool
    description: str
    file: str
    location: Location
    pack_id: str
    enabled: bool = True
    history: bool = False          # findings come from the run history, not from a condition on the record


@dataclass
class Pack:
    """A loaded pack with everything inherited from the packs it extends already merged in."""

    id: str
    title: str
    version: str
    description: str
    directory: Path
    chain: list[str]                               # ids from this pack up to its root ancestor
    parameters: dict[str, ParamDecl]
    constants: dict[str, Any]
    severities: dict[str, int]                     # severity -> deadline days
    rules: dict[str, RuleSpec]                     # in declaration order, parents first
    base_record: Path | None                       # tests/base.yaml used by test cases
    files: list[str] = field(default_factory=list)
    index: IndexSpec | None = None                 # the 融合度指数 dimensions and grades (index.md); None: no index
    warnings: list[Problem] = field(default_factory=list)   # what `pbcheck validate` reports without failing

    def enabled_rules(self) -> list[RuleSpec]:
        """Rules that run (not disabled by an override)."""
        return [r for r in self.rules.values() if r.enabled]


class _Collector:
    """Gathers problems while a pack is read, so they are all reported together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, span: Span | None, code: str, message: str) -> None:
        loc = Location(file, span.line, span.col) if span else Location(file, 1, 1)
        self.problems.append(Problem(loc, code, message))

    def add_at(self, location: Location, code: str, message: str) -> None:
        self.problems.append(Problem(location, code, message))


# ---------------------------------------------------------------------------------------------
# Finding packs

def builtin_packs() -> dict[str, Path]:
    """Built-in packs by id (the directories under the packaged `rules/`)."""
    root = resources.resource_dir("rules")
    found = {}
    for child in sorted(root.iterdir()):
        if (child / "pack.yaml").is_file():
            found[child.name] = child
    return found


def resolve_pack(reference: str | Path | None, relative_to: Path | None = None) -> Path:
    """The directory of a pack given by path or built-in id (default: the default pack)."""
    if reference is None:
        reference = "party-business-integration"
    ref = str(reference)
    candidates = []
    if relative_to is not None:
        candidates.append((relative_to / ref))
    candidates.append(Path(ref))
    for cand in candidates:
        if cand.is_dir() and (cand / "pack.yaml").is_file():
            return cand.resolve()
        if cand.is_file() and cand.name == "pack.yaml":
            return cand.parent.resolve()
    packs = builtin_packs()
    if ref in packs:
        return packs[ref].resolve()
    guess = get_close_matches(ref, list(packs), n=1)
    hint = f"；是否应为 {guess[0]}？" if guess else ""
    raise UsageError(f"找不到规则包 “{ref}”：既不是含 pack.yaml 的目录，也不是内置规则包（{ '、'.join(packs) }）{hint}")


# ---------------------------------------------------------------------------------------------
# Loading

def load_pack(reference: str | Path | None = None) -> Pack:
    """Load a pack (and the packs it extends); raise PackError listing every problem."""
    directory = resolve_pack(reference)
    col = _Collector()
    pack = _load(directory, col, seen=[])
    if col.problems:
        raise PackError(f"规则包有 {len(col.problems)} 处错误：{directory}", col.problems)
    assert pack is not None
    return pack


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read(path: Path, col: _Collector) -> Document | None:
    try:
        return load_file(path, _display(path))
    except InputError as exc:
        col.problems.extend(exc.problems)
        return None


def _load(directory: Path, col: _Collector, seen: list[Path]) -> Pack | None:
    if directory in seen:
        chain = " → ".join(str(p) for p in seen + [directory])
        col.add(_display(directory / "pack.yaml"), None, "extends-cycle", f"extends 形成循环：{chain}")
        return None
    if len(seen) >= MAX_EXTENDS_DEPTH:
        col.add(_display(directory / "pack.yaml"), None, "extends-depth", f"extends 层数超过 {MAX_EXTENDS_DEPTH}")
        return None
    if not _inside(directory / "pack.yaml", directory):
        col.add(_display(directory / "pack.yaml"), None, "outside-pack", "pack.yaml 是指向规则包目录之外的链接，已拒绝读取")
        return None
    doc = _read(directory / "pack.yaml", col)
    if doc is None:
        return None
    file = doc.path
    data = doc.data
    if not isinstance(data, MarkedDict):
        col.add(file, getattr(data, "span", None), "pack-schema", "pack.yaml 应为映射（id、title、version、parameters…）")
        return None
    _unknown_keys(data, PACK_KEYS, file, col, "pack.yaml")
    pack_id = _req_str(data, "id", file, col) or directory.name
    title = _req_str(data, "title", file, col) or pack_id
    version = _opt_scalar_str(data, "version", file, col) or "0"
    description = _opt_str(data, "description", file, col) or ""

    parent: Pack | None = None
    extends = data.get("extends")
    if extends is not None:
        if not isinstance(extends, str):
            col.add(file, span_of(data, "extends"), "pack-schema", "extends 应为规则包 id 或相对目录")
        else:
            try:
                parent_dir = _resolve_parent(extends, directory)
            except UsageError as exc:
                col.add(file, span_of(data, "extends"), "extends-missing", str(exc))
                parent_dir = None
            if parent_dir is not None and (parent_dir in seen or parent_dir == directory):
                chain = " → ".join(_display(p) for p in seen + [directory, parent_dir])
                col.add(file, span_of(data, "extends"), "extends-cycle", f"extends 形成循环：{chain}")
            elif parent_dir is not None and len(seen) + 1 >= MAX_EXTENDS_DEPTH:
                col.add(file, span_of(data, "extends"), "extends-depth", f"extends 层数超过 {MAX_EXTENDS_DEPTH}")
            elif parent_dir is not None:
                parent = _load(parent_dir, col, seen + [directory])

    parameters = dict(parent.parameters) if parent else {}
    _read_parameters(data, file, doc, col, parameters, pack_id, parent is not None)
    constants = dict(parent.constants) if parent else {}
    _read_constants(data, file, col, constants)
    severities = dict(parent.severities) if parent else {}
    _read_severities(data, file, col, severities)
    if not severities:
        col.add(file, data.span, "pack-schema", "缺少 severities（如 高: {deadline_days: 30}）")

    rules: dict[str, RuleSpec] = {}
    if parent:
        for rid, spec in parent.rules.items():
            rules[rid] = _copy_rule(spec)
    rule_files = _rule_files(directory, col)
    files = list(parent.files) if parent else []
    files.append(file)
    for path in rule_files:
        rdoc = _read(path, col)
        if rdoc is None:
            continue
        files.append(rdoc.path)
        _read_rules(rdoc, col, rules, pack_id, severities)
    _apply_overrides(data, file, col, rules, severities, parent is not None)
    index = parent.index if parent else None
    warnings: list[Problem] = []
    if "index" in data:                    # a child pack's index replaces the one it inherits
        index = read_index(data, file, col)
    if index is not None:
        warnings = check_index(index, data if "index" in data else None, file, rules, col)

    base = directory / "tests" / "base.yaml"
    base_record = parent.base_record if parent else None
    if base.is_file():
        if _inside(base, directory):
            base_record = base
        else:
            col.add(_display(base), None, "outside-pack", "tests/base.yaml 是指向规则包目录之外的链接，已拒绝读取")
    return Pack(pack_id, title, version, description, directory, [pack_id] + (parent.chain if parent else []),
                parameters, constants, severities, rules, base_record, files, index, warnings)


def _resolve_parent(reference: str, directory: Path) -> Path:
    rel = (directory / reference)
    if rel.is_dir() and (rel / "pack.yaml").is_file():
        return rel.resolve()
    packs = builtin_packs()
    if reference in packs:
        return packs[reference].resolve()
    raise UsageError(f"extends 指向的规则包 “{reference}” 不存在（应为内置规则包 id 或相对本包目录的路径）")


def _rule_files(directory: Path, col: _Collector) -> list[Path]:
    files = []
    for path in sorted(directory.iterdir()):
        if path.name == "pack.yaml" or path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
            continue
        if not _inside(path, directory):
            col.add(_display(path), None, "outside-pack", "规则文件是指向规则包目录之外的链接，已拒绝读取")
            continue
        files.append(path)
    return files


def _inside(path: Path, directory: Path) -> bool:
    """Whether `path`, links followed, stays inside the pack `directory` (packs.md: no reading outside)."""
    return directory.resolve() in path.resolve().parents


def _copy_rule(spec: RuleSpec) -> RuleSpec:
    return RuleSpec(**{**spec.__dict__, "parts": list(spec.parts), "tests": list(spec.tests), "values": dict(spec.values)})


# ---------------------------------------------------------------------------------------------
# pack.yaml sections

def _unknown_keys(data: MarkedDict, allowed: set[str], file: str, col: _Collector, where: str) -> None:
    for key in data:
        if key not in allowed:
            guess = get_close_matches(str(key), sorted(allowed), n=1)
            hint = f"，是否应为 {guess[0]}？" if guess else f"（可用：{'、'.join(sorted(allowed))}）"
            col.add(file, key_span_of(data, key), "unknown-key", f"{where} 中有未知键 “{key}”{hint}")


def _req_str(data: MarkedDict, key: str, file: str, col: _Collector, where: str = "") -> str | None:
    value = data.get(key)
    if value is None:
        col.add(file, data.span, "missing-key", f"{where}缺少 {key}")
        return None
    if not isinstance(value, str) or not value.strip():
        col.add(file, span_of(data, key), "pack-schema", f"{where}{key} 应为非空文字，实际为 {value!r}")
        return None
    return value


def _opt_str(data: MarkedDict, key: str, file: str, col: _Collector) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        col.add(file, span_of(data, key), "pack-schema", f"{key} 应为文字，实际为 {value!r}")
        return None
    return value


def _opt_scalar_str(data: MarkedDict, key: str, file: str, col: _Collector) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        col.add(file, span_of(data, key), "pack-schema", f"{key} 应为文字（如 1.0.0），实际为 {value!r}")
        return None
    return str(value)


def _str_list(data: MarkedDict, key: str, file: str, col: _Collector, where: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        col.add(file, span_of(data, key), "pack-schema", f"{where}{key} 应为文字列表，如 [形式化, 责任落实]")
        return ()
    return tuple(value)


def check_param_value(decl: ParamDecl, value: Any) -> tuple[Any, str | None]:
    """Check (and normalise) a value against a parameter's declared type; return (value, error)."""
    t = decl.type
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
            return None, f"参数 {decl.name} 应为数值，实际为 {value!r}"
    elif t == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"参数 {decl.name} 应为整数，实际为 {value!r}"
    elif t == "string":
        if not isinstance(value, str):
            return None, f"参数 {decl.name} 应为文字，实际为 {value!r}"
    elif t == "boolean":
        if not isinstance(value, bool):
            return None, f"参数 {decl.name} 应为 true 或 false，实际为 {value!r}"
    elif t == "date":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return None, f"参数 {decl.name} 应为日期 YYYY-MM-DD，实际为 {value!r}"
        if not isinstance(value, dt.date):
            return None, f"参数 {decl.name} 应为日期 YYYY-MM-DD，实际为 {value!r}"
    elif t == "list":
        if not isinstance(value, (list, tuple)) or any(isinstance(v, (list, dict)) for v in value):
            return None, f"参数 {decl.name} 应为列表，如 [a, b]，实际为 {value!r}"
        value = list(value)
    if decl.type in ("number", "integer"):
        if decl.minimum is not None and value < decl.minimum:
            return None, f"参数 {decl.name} 不得小于 {decl.minimum}，实际为 {value}"
        if decl.maximum is not None and value > decl.maximum:
            return None, f"参数 {decl.name} 不得大于 {decl.maximum}，实际为 {value}"
    return value, None


def _read_parameters(data: MarkedDict, file: str, doc: Document, col: _Collector, out: dict[str, ParamDecl],
                     pack_id: str, is_child: bool) -> None:
    params = data.get("parameters")
    if params is None:
        return
    if not isinstance(params, MarkedDict):
        col.add(file, span_of(data, "parameters"), "pack-schema", "parameters 应为映射：名称 → {type, default, title}")
        return
    for name, decl in params.items():
        key_span = key_span_of(params, name)
        loc = Location(file, key_span.line, key_span.col) if key_span else Location(file, 1, 1)
        if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]*$", name):
            col.add(file, key_span, "bad-parameter", f"参数名 “{name}” 应为小写字母、数字和下划线")
            continue
        inherited = out.get(name)
        if not isinstance(decl, MarkedDict):
            if inherited is None:
                col.add(file, span_of(params, name), "bad-parameter",
                        f"参数 {name} 应声明为 {{type: …, default: …, title: …}}")
                continue
            decl = MarkedDict({"default": decl})   # a child may give just the new default value
            decl.spans = {"default": span_of(params, name)}
        _unknown_keys(decl, PARAM_KEYS, file, col, f"参数 {name}")
        ptype = decl.get("type", inherited.type if inherited else None)
        if ptype not in PARAM_TYPES:
            col.add(file, span_of(decl, "type") or key_span, "bad-parameter",
                    f"参数 {name} 的 type 应为 {'、'.join(PARAM_TYPES)} 之一，实际为 {ptype!r}")
            continue
        if inherited is not None and ptype != inherited.type:
            col.add(file, span_of(decl, "type"), "bad-parameter",
                    f"参数 {name} 在上级规则包中是 {inherited.type}，不能改为 {ptype}")
            continue
        if "default" not in decl and inherited is None:
            col.add(file, key_span, "bad-parameter", f"参数 {name} 缺少 default")
            continue
        title = decl.get("title", inherited.title if inherited else name)
        minimum = decl.get("min", inherited.minimum if inherited else None)
        maximum = decl.get("max", inherited.maximum if inherited else None)
        candidate = ParamDecl(name, ptype, None, str(title), str(decl.get("description", inherited.description if inherited else "")),
                              loc, minimum, maximum, pack_id)
        default = decl.get("default", inherited.default if inherited else None)
        value, error = check_param_value(candidate, default)
        if error:
            col.add(file, span_of(decl, "default") or key_span, "bad-parameter", error)
            continue
        history = inherited.history if inherited else ()
        if "default" in decl or inherited is None:
            history = history + ((pack_id, value),)
        out[name] = ParamDecl(name, ptype, value, candidate.title, candidate.description, loc, minimum, maximum,
                              pack_id if "default" in decl else (inherited.origin if inherited else pack_id), history)


def _read_constants(data: MarkedDict, file: str, col: _Collector, out: dict[str, Any]) -> None:
    consts = data.get("constants")
    if consts is None:
        return
    if not isinstance(consts, MarkedDict):
        col.add(file, span_of(data, "constants"), "pack-schema", "constants 应为映射：名称 → 值或列表")
        return
    for name, value in consts.items():
        if not isinstance(name, str) or not re.match(r"^[A-Z][A-Z0-9_]*$", name):
            col.add(file, key_span_of(consts, name), "bad-constant", f"常量名 “{name}” 应为大写字母、数字和下划线，如 PARTY_MEETINGS")
            continue
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value)):
            col.add(file, span_of(consts, name), "bad-constant", f"常量 {name} 应为简单值或简单值的列表")
            continue
        out[name] = list(value) if isinstance(value, list) else value


def _read_severities(data: MarkedDict, file: str, col: _Collector, out: dict[str, int]) -> None:
    sev = data.get("severities")
    if sev is None:
        return
    if not isinstance(sev, MarkedDict):
        col.add(file, span_of(data, "severities"), "pack-schema", "severities 应为映射，如 高: {deadline_days: 30}")
        return
    for name, spec in sev.items():
        days = spec.get("deadline_days") if isinstance(spec, dict) else None
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            col.add(file, span_of(sev, name), "bad-severity", f"严重程度 {name} 需要 deadline_days（1–3650 的整数）")
            continue
        out[str(name)] = days


def _apply_overrides(data: MarkedDict, file: str, col: _Collector, rules: dict[str, RuleSpec],
                     severities: dict[str, int], is_child: bool) -> None:
    overrides = data.get("overrides")
    if overrides is None:
        return
    if not is_child:
        col.add(file, key_span_of(data, "overrides"), "pack-schema",
                "overrides 只能写在扩展其他规则包（extends）的子规则包中；本包自己的规则请直接修改规则")
        return
    if not isinstance(overrides, MarkedDict):
        col.add(file, span_of(data, "overrides"), "pack-schema", "overrides 应为映射：规则编号 → {severity, enabled}")
        return
    for rid, spec in overrides.items():
        if rid not in rules:
            guess = get_close_matches(str(rid), list(rules), n=1)
            hint = f"，是否应为 {guess[0]}？" if guess else ""
            col.add(file, key_span_of(overrides, rid), "unknown-rule", f"overrides 中的规则 {rid} 不存在{hint}")
            continue
        if not isinstance(spec, MarkedDict):
            col.add(file, span_of(overrides, rid), "pack-schema", f"{rid} 的覆盖应为映射，如 {{severity: 高}} 或 {{enabled: false}}")
            continue
        _unknown_keys(spec, OVERRIDE_KEYS, file, col, f"overrides.{rid}")
        rule = rules[rid]
        if "severity" in spec:
            if spec["severity"] not in severities:
                col.add(file, span_of(spec, "severity"), "bad-severity",
                        f"严重程度 {spec['severity']!r} 未定义（可用：{'、'.join(severities)}）")
            else:
                rule.severity = spec["severity"]
        if "enabled" in spec:
            if not isinstance(spec["enabled"], bool):
                col.add(file, span_of(spec, "enabled"), "pack-schema", "enabled 应为 true 或 false")
            else:
                rule.enabled = spec["enabled"]


# ---------------------------------------------------------------------------------------------
# The 融合度指数 section (index.md)

DEFAULT_GRADES = ((90, "优"), (75, "良"), (60, "中"), (0, "差"))
DIMENSION_KEYS = {"id", "name", "rules"}
INDEX_KEYS = {"dimensions", "grades"}
GRADE_KEYS = {"min", "name"}
DIMENSION_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def read_index(data: MarkedDict, file: str, col: _Collector) -> IndexSpec | None:
    """The `index:` section of a pack.yaml (dimensions with id, name, rules; grades), structure checked."""
    raw = data.get("index")
    if not isinstance(raw, MarkedDict):
        col.add(file, span_of(data, "index"), "bad-index", "index 应为映射：dimensions（维度列表）和 grades（等级）")
        return None
    _unknown_keys(raw, INDEX_KEYS, file, col, "index")
    dims_raw = raw.get("dimensions")
    dimensions: list[Dimension] = []
    if not isinstance(dims_raw, MarkedList) or not dims_raw:
        col.add(file, span_of(raw, "dimensions") if "dimensions" in raw else raw.span, "bad-index",
                "index.dimensions 应为非空列表，每项如 {id: plan, name: 同规划, rules: [SY01, CD01]}")
        dims_raw = MarkedList()
    seen_ids: dict[str, Span | None] = {}
    for i, entry in enumerate(dims_raw):
        where = f"index.dimensions[{i + 1}] "
        if not isinstance(entry, MarkedDict):
            col.add(file, span_of(dims_raw, i), "bad-index", f"{where}应为映射 {{id, name, rules}}")
            continue
        _unknown_keys(entry, DIMENSION_KEYS, file, col, f"index.dimensions[{i + 1}]")
        dim_id = entry.get("id")
        if not isinstance(dim_id, str) or not DIMENSION_ID.match(dim_id):
            col.add(file, span_of(entry, "id") if "id" in entry else entry.span, "bad-index",
                    f"{where}的 id 应为小写字母开头的英文标识（如 plan），实际为 {dim_id!r}")
            continue
        if dim_id in seen_ids:
            col.add(file, span_of(entry, "id"), "index-duplicate", f"维度 id {dim_id} 重复")
            continue
        seen_ids[dim_id] = span_of(entry, "id")
        name = _req_str(entry, "name", file, col, where) or dim_id
        rules = entry.get("rules")
        if not isinstance(rules, MarkedList) or not all(isinstance(r, str) and r for r in rules):
            col.add(file, span_of(entry, "rules") if "rules" in entry else entry.span, "bad-index",
                    f"{where}的 rules 应为规则编号的列表，如 [SY01, CD01]")
            continue
        dimensions.append(Dimension(dim_id, name, tuple(rules)))
    grades: list[Grade] = []
    grades_raw = raw.get("grades")
    if grades_raw is None:
        grades = [Grade(m, n) for m, n in DEFAULT_GRADES]
    elif not isinstance(grades_raw, MarkedList) or not grades_raw:
        col.add(file, span_of(raw, "grades"), "bad-index", "index.grades 应为非空列表，如 [{min: 90, name: 优}, {min: 0, name: 差}]")
    else:
        for i, entry in enumerate(grades_raw):
            where = f"index.grades[{i + 1}] "
            if not isinstance(entry, MarkedDict):
                col.add(file, span_of(grades_raw, i), "bad-index", f"{where}应为映射 {{min, name}}")
                continue
            _unknown_keys(entry, GRADE_KEYS, file, col, f"index.grades[{i + 1}]")
            minimum = entry.get("min")
            if isinstance(minimum, bool) or not isinstance(minimum, (int, float)) or not 0 <= minimum <= 100:
                col.add(file, span_of(entry, "min") if "min" in entry else entry.span, "bad-index",
                        f"{where}的 min 应为 0–100 的数值，实际为 {minimum!r}")
                continue
            name = _req_str(entry, "name", file, col, where)
            if name is not None:
                grades.append(Grade(minimum, name))
        if grades and [g.min for g in grades] != sorted((g.min for g in grades), reverse=True):
            col.add(file, span_of(raw, "grades"), "bad-index",
                    "index.grades 应按 min 从高到低排列（取第一个 min ≤ 指数的等级）")
    return IndexSpec(tuple(dimensions), tuple(grades))


def check_index(index: IndexSpec, data: MarkedDict | None, file: str, rules: dict[str, RuleSpec],
                col: _Collector) -> list[Problem]:
    """Errors for unknown rules and rules in two dimensions; warnings for (non-composite) rules in none.

    `data` is the pack.yaml that declared the index (None when it is inherited: then only the rules the
    child adds can be unplaced, and the inherited section was checked with its own pack)."""
    dims_raw = data["index"].get("dimensions") if data is not None else None
    placed: dict[str, str] = {}
    for dim in index.dimensions:
        entry = _dimension_entry(dims_raw, dim.id)
        rules_raw = entry.get("rules") if entry is not None else None
        for j, rule_id in enumerate(dim.rules):
            span = span_of(rules_raw, j) if isinstance(rules_raw, MarkedList) else None
            if data is None:
                if rule_id in rules:
                    placed.setdefault(rule_id, dim.id)
                continue
            if rule_id not in rules:
                guess = get_close_matches(rule_id, list(rules), n=1)
                hint = f"，是否应为 {guess[0]}？" if guess else ""
                col.add(file, span, "unknown-rule", f"融合度指数维度 {dim.id} 中的规则 {rule_id} 不存在{hint}")
                continue
            if rule_id in placed:
                col.add(file, span, "index-duplicate",
                        f"规则 {rule_id} 同时属于维度 {placed[rule_id]} 和 {dim.id}；每条规则只能属于一个维度")
                continue
            placed[rule_id] = dim.id
    warnings = []
    for rule in rules.values():
        if rule.composite or not rule.enabled or rule.id in placed:
            continue
        warnings.append(Problem(rule.location, "index-unplaced",
                                f"警告：规则 {rule.id} 不属于融合度指数的任何维度（在 pack.yaml 的 index.dimensions 中补上），"
                                "它的结果不计入指数"))
    return warnings


def _dimension_entry(dims_raw: Any, dim_id: str) -> MarkedDict | None:
    if not isinstance(dims_raw, MarkedList):
        return None
    return next((e for e in dims_raw if isinstance(e, MarkedDict) and e.get("id") == dim_id), None)


# ---------------------------------------------------------------------------------------------
# Rule files

def _text(container: MarkedDict, key: str, doc: Document, col: _Collector, where: str, required: bool = False) -> Text | None:
    value = container.get(key)
    if value is None:
        if required:
            col.add(doc.path, container.span, "missing-key", f"{where}缺少 {key}")
        return None
    if isinstance(value, bool):            # `when: true` written as a YAML boolean
        value = "true" if value else "false"
    if not isinstance(value, (str, int, float)):
        col.add(doc.path, span_of(container, key), "pack-schema", f"{where}{key} 应为文字（表达式或模板）")
        return None
    return Text(str(value), doc.path, span_of(container, key), doc.text)


def _read_rules(doc: Document, col: _Collector, rules: dict[str, RuleSpec], pack_id: str, severities: dict[str, int]) -> None:
    data = doc.data
    if data is None:
        return
    if not isinstance(data, MarkedList):
        col.add(doc.path, getattr(data, "span", None), "pack-schema", "规则文件应为规则的列表（每条以 “- id: …” 开头）")
        return
    for index, entry in enumerate(data):
        if not isinstance(entry, MarkedDict):
            col.add(doc.path, span_of(data, index), "pack-schema", "每条规则应为映射（id、title、severity…）")
            continue
        spec = _read_rule(entry, doc, col, pack_id, severities)
        if spec is None:
            continue
        if spec.id in rules:
            first = rules[spec.id]
            col.add(doc.path, span_of(entry, "id"), "duplicate-id",
                    f"规则编号 {spec.id} 重复（已在 {first.location} 定义）")
            continue
        rules[spec.id] = spec


def _read_rule(entry: MarkedDict, doc: Document, col: _Collector, pack_id: str, severities: dict[str, int]) -> RuleSpec | None:
    file = doc.path
    rid = entry.get("id")
    if not isinstance(rid, str) or not RULE_ID.match(rid):
        col.add(file, span_of(entry, "id") if "id" in entry else entry.span, "bad-id",
                f"规则缺少合法的 id（字母开头，字母数字、-、_），实际为 {rid!r}")
        return None
    where = f"规则 {rid} "
    _unknown_keys(entry, RULE_KEYS, file, col, f"规则 {rid}")
    title = _req_str(entry, "title", file, col, where) or rid
    severity = entry.get("severity")
    if severity not in severities:
        col.add(file, span_of(entry, "severity") if "severity" in entry else entry.span, "bad-severity",
                f"{where}的 severity 应为 {'、'.join(severities) or '高、中、低'} 之一，实际为 {severity!r}")
        severity = next(iter(severities), "中")
    tags = _str_list(entry, "tags", file, col, where)
    refs = _str_list(entry, "refs", file, col, where)
    composite = entry.get("composite", False)
    if not isinstance(composite, bool):
        col.add(file, span_of(entry, "composite"), "pack-schema", f"{where}composite 应为 true 或 false")
        composite = False
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        col.add(file, span_of(entry, "enabled"), "pack-schema", f"{where}enabled 应为 true 或 false")
        enabled = True
    message = _text(entry, "message", doc, col, where)
    remedy = _text(entry, "remedy", doc, col, where, required=True)
    applies_raw = entry.get("applies")
    applies = None
    if applies_raw is not None and applies_raw is not True:
        if applies_raw is False:
            applies = Text("false", file, span_of(entry, "applies"), doc.text)
        else:
            applies = _text(entry, "applies", doc, col, where)
    description = _opt_str(entry, "description", file, col) or ""

    history = entry.get("history", False)
    if not isinstance(history, bool):
        col.add(file, span_of(entry, "history"), "pack-schema", f"{where}history 应为 true 或 false")
        history = False
    parts: list[Part] = []
    if history:
        for key in ("when", "for_each", "checks", "applies", "values"):
            if key in entry:
                col.add(file, key_span_of(entry, key), "pack-schema",
                        f"{where}是运行历史规则（history: true），其条件由运行历史计算，不能写 {key}")
    elif "checks" in entry:
        if "when" in entry or "for_each" in entry:
            col.add(file, key_span_of(entry, "checks"), "pack-schema", f"{where}不能同时有 checks 与 when/for_each")
        checks = entry["checks"]
        if not isinstance(checks, MarkedList) or not checks:
            col.add(file, span_of(entry, "checks"), "pack-schema", f"{where}checks 应为非空列表，每项含 when（可选 for_each、message）")
        else:
            for i, part in enumerate(checks):
                if not isinstance(part, MarkedDict):
                    col.add(file, span_of(checks, i), "pack-schema", f"{where}checks 的每项应为映射")
                    continue
                _unknown_keys(part, PART_KEYS, file, col, f"规则 {rid} 的 checks[{i + 1}]")
                when = _text(part, "when", doc, col, f"{where}checks[{i + 1}] ", required=True)
                if when is None:
                    continue
                loc = Location(file, part.span.line, part.span.col) if part.span else Location(file, 1, 1)
                parts.append(Part(_text(part, "for_each", doc, col, where), when, _text(part, "message", doc, col, where), loc))
    else:
        when = _text(entry, "when", doc, col, where, required=True)
        if when is not None:
            loc = Location(file, entry.span.line, entry.span.col) if entry.span else Location(file, 1, 1)
            parts.append(Part(_text(entry, "for_each", doc, col, where), when, None, loc))
    if message is None and (history or any(p.message is None for p in parts)):
        col.add(file, entry.span, "missing-key", f"{where}缺少 message（问题描述模板）")

    values: dict[str, Text] = {}
    raw_values = entry.get("values")
    if raw_values is not None:
        if not isinstance(raw_values, MarkedDict):
            col.add(file, span_of(entry, "values"), "pack-schema", f"{where}values 应为映射：名称 → 表达式")
        else:
            for name in raw_values:
                if not isinstance(name, str) or not re.match(r"^[a-z_][a-z0-9_]*$", name):
                    col.add(file, key_span_of(raw_values, name), "pack-schema", f"{where}values 的名称 “{name}” 应为小写字母、数字和下划线")
                    continue
                text = _text(raw_values, name, doc, col, where)
                if text is not None:
                    values[name] = text

    tests = _read_tests(entry, doc, col, rid)
    loc = Location(file, entry.span.line, entry.span.col) if entry.span else Location(file, 1, 1)
    return RuleSpec(rid, title, severity, tags, refs, parts, message, remedy, applies, values, tests, composite,
                    description, file, loc, pack_id, enabled, history)


def _read_tests(entry: MarkedDict, doc: Document, col: _Collector, rid: str) -> list[TestCase]:
    file = doc.path
    raw = entry.get("tests")
    out: list[TestCase] = []
    if raw is None:
        return out
    if not isinstance(raw, MarkedList):
        col.add(file, span_of(entry, "tests"), "bad-test", f"规则 {rid} 的 tests 应为列表")
        return out
    names: set[str] = set()
    for i, case in enumerate(raw):
        if not isinstance(case, MarkedDict):
            col.add(file, span_of(raw, i), "bad-test", f"规则 {rid} 的测试用例应为映射（name、unit、fires）")
            continue
        _unknown_keys(case, TEST_KEYS, file, col, f"规则 {rid} 的测试用例")
        name = case.get("name")
        span = case.span
        if not isinstance(name, str) or not TEST_NAME.match(name):
            col.add(file, span_of(case, "name") if "name" in case else span, "bad-test",
                    f"规则 {rid} 的测试用例需要 name（字母数字、-、_，如 low-attendance），实际为 {name!r}")
            continue
        if name in names:
            col.add(file, span_of(case, "name"), "bad-test", f"规则 {rid} 的测试用例名 {name} 重复")
            continue
        names.add(name)
        before = len(col.problems)
        fires = case.get("fires")
        if isinstance(fires, bool) or not isinstance(fires, int) or fires < 0:
            col.add(file, span_of(case, "fires") if "fires" in case else span, "bad-test",
                    f"测试 {rid}/{name} 需要 fires（期望的发现数，非负整数），实际为 {fires!r}")
        unit = case.get("unit", {})
        if unit is None:
            unit = {}
        if not isinstance(unit, dict):
            col.add(file, span_of(case, "unit"), "bad-test", f"测试 {rid}/{name} 的 unit 应为映射（与 tests/base.yaml 合并）")
        params = case.get("params", {}) or {}
        if not isinstance(params, dict):
            col.add(file, span_of(case, "params"), "bad-test", f"测试 {rid}/{name} 的 params 应为映射")
        status = case.get("status")
        if status is not None and status not in ("fired", "passed", "not_applicable", "missing_data"):
            col.add(file, span_of(case, "status"), "bad-test",
                    f"测试 {rid}/{name} 的 status 应为 fired、passed、not_applicable、missing_data 之一，实际为 {status!r}")
        evidence = case.get("evidence")
        if evidence is not None and (not isinstance(evidence, list) or not all(isinstance(e, (str, int)) for e in evidence)):
            col.add(file, span_of(case, "evidence"), "bad-test", f"测试 {rid}/{name} 的 evidence 应为证据键的列表")
        if len(col.problems) > before:
            continue
        loc = Location(file, span.line, span.col) if span else Location(file, 1, 1)
        out.append(TestCase(name, unit, fires, _str_list(case, "also", file, col, f"测试 {rid}/{name} "),
                            _str_list(case, "not_also", file, col, f"测试 {rid}/{name} "), dict(params), status,
                            tuple(str(e) for e in evidence) if evidence is not None else None,
                            str(case.get("description", "")), loc))
    return out


# ---------------------------------------------------------------------------------------------
# Parameters given on the command line

def parse_param_assignment(text: str, parameters: dict[str, ParamDecl]) -> tuple[str, Any]:
    """Parse `name=value` from `--param` and type-check it against the declaration."""
    if "=" not in text:
        raise ParameterError(f"--param 应写作 名称=值，实际为 “{text}”", [
            Problem(None, "bad-parameter", f"--param {text}: 缺少 “=”")])
    name, raw = text.split("=", 1)
    name = name.strip()
    if name not in parameters:
        guess = get_close_matches(name, list(parameters), n=1)
        hint = f"；是否应为 {guess[0]}？" if guess else ""
        raise ParameterError(f"未知参数 {name}{hint}", [Problem(None, "unknown-parameter", f"--param {text}: 规则包没有参数 {name}{hint}")])
    decl = parameters[name]
    value = _convert_cli(raw.strip(), decl.type)
    checked, error = check_param_value(decl, value)
    if error:
        raise ParameterError(error, [Problem(None, "bad-parameter", f"--param {text}: {error}")])
    return name, checked


def _convert_cli(raw: str, ptype: str) -> Any:
    if ptype == "number":
        try:
            number = float(raw)
            return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number
        except ValueError:
            return raw
    if ptype == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if ptype == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "是", "yes"):
            return True
        if lowered in ("false", "否", "no"):
            return False
        return raw
    if ptype == "list":
        inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
        return [p.strip().strip("'\"") for p in re.split(r"[,，、;；]", inner) if p.strip()]
    return raw
