"""YAML loading for Atmos manifests: the C loader when present, Atmos's custom tags, errors with file and line.

Atmos resolves ``!include`` at load time, wraps ``!append`` lists for the merge, and keeps every other
function tag (``!env``, ``!terraform.output``, ...) as the plain string ``"!tag args"`` to be evaluated at
describe time. Parsed files are cached by path and mtime because imports re-read the same catalog files
many times, and they are treated as immutable by every caller.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, ClassVar, cast

import yaml

from harness.errors import ConfigError

try:
    _BaseLoader: type[Any] = yaml.CSafeLoader
    C_LOADER = True
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader
    C_LOADER = False

#: Atmos function tags evaluated after loading; they become ``"!tag args"`` strings.
FUNCTION_TAGS = (
    "!env",
    "!exec",
    "!template",
    "!terraform.output",
    "!terraform.state",
    "!store",
    "!store.get",
    "!secret",
    "!unset",
    "!cwd",
    "!random",
    "!repo-root",
    "!emulator",
    "!version",
    "!cel",
    "!tags",
)
FUNCTION_TAG_PREFIXES = ("!git.", "!aws.", "!labels")


class AppendList(list[Any]):
    """A list tagged ``!append``: the merge appends it to what is accumulated, whatever the strategy."""

    #: Set once any instance exists (copies and unpickling included), so merges can skip looking for one.
    created: ClassVar[bool] = False

    def __new__(cls, *args: Any, **kwargs: Any) -> AppendList:
        AppendList.created = True
        return super().__new__(cls, *args, **kwargs)


#: Files that use ``!append``; only manifests built from them need the markers stripped after merging.
APPEND_FILES: set[str] = set()


def strip_markers(value: Any) -> Any:
    """Turn leftover ``!append`` lists into plain lists (Atmos consumes the marker in the file merge)."""
    if isinstance(value, AppendList):
        return [strip_markers(v) for v in value]
    if isinstance(value, dict):
        return {k: strip_markers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_markers(v) for v in value]
    return value


def is_function_tag(tag: str) -> bool:
    return tag in FUNCTION_TAGS or tag.startswith(FUNCTION_TAG_PREFIXES)


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
#: Implicit-tag resolution results; manifests repeat the same keys and values thousands of times.
_RESOLVED: dict[tuple[Any, Any, Any], str] = {}
_RESOLVED_MAX = 200_000


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The C parser with PyYAML's constructors, minus their per-node overhead for plain maps, lists and scalars.

    Results are identical to the generic ``construct_object``: anything that is not an untagged map, list,
    string, null, bool, int, float or timestamp (custom tags, sets, recursive anchors...) takes that path.
    """

    harness_file: Path = Path("<string>")
    deep_construct: bool  # PyYAML's constructor state, declared for the type checker

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) >= _RESOLVED_MAX:
                _RESOLVED.clear()
            _RESOLVED[key] = tag
        return tag

    if not _BaseLoader.yaml_path_resolvers:  # PyYAML's versions return at once without path resolvers

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            return None

        def ascend_resolver(self) -> None:
            return None

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        tag = node.tag
        cls = node.__class__
        if cls is yaml.ScalarNode:
            if tag == _STR_TAG:
                return node.value
            scalar = _SCALAR_CONSTRUCTORS.get(tag)
            if scalar is not None and node not in self.constructed_objects:
                return scalar(self, node)
        elif (deep or self.deep_construct) and (
            (tag == _MAP_TAG and cls is yaml.MappingNode) or (tag == _SEQ_TAG and cls is yaml.SequenceNode)
        ):
            constructed = self.constructed_objects
            if node in constructed:
                return constructed[node]
            if node in self.recursive_objects:
                raise yaml.constructor.ConstructorError(
                    None, None, "found unconstructable recursive node", node.start_mark
                )
            self.recursive_objects[node] = None
            old_deep = self.deep_construct
            self.deep_construct = True
            if cls is yaml.MappingNode:
                data: Any = _construct_mapping(self, cast(yaml.MappingNode, node))
            else:
                data = [self.construct_object(child, deep=True) for child in node.value]
            constructed[node] = data
            del self.recursive_objects[node]
            self.deep_construct = old_deep
            return data
        return super().construct_object(node, deep)


def _mark_line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _function(loader: _Loader, tag_suffix: str, node: yaml.Node) -> Any:
    tag = "!" + tag_suffix
    if tag == "!append":
        if not isinstance(node, yaml.SequenceNode):
            raise ConfigError("!append must tag a list", file=loader.harness_file, line=_mark_line(node))
        APPEND_FILES.add(str(loader.harness_file))
        return AppendList(loader.construct_sequence(node, deep=True))
    if tag == "!literal":
        return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else _construct_plain(loader, node)
    if tag in ("!include", "!include.raw"):
        if not isinstance(node, yaml.ScalarNode):
            raise ConfigError(f"{tag} takes a path", file=loader.harness_file, line=_mark_line(node))
        return include(str(loader.construct_scalar(node)), loader.harness_file, raw=tag == "!include.raw",
                       line=_mark_line(node))
    if is_function_tag(tag):
        if isinstance(node, yaml.ScalarNode):
            value = str(loader.construct_scalar(node)).strip()
        else:
            value = json.dumps(_construct_plain(loader, node), sort_keys=True)
        return f"{tag} {value}" if value else tag
    raise ConfigError(f"unsupported YAML tag '{tag}'", file=loader.harness_file, line=_mark_line(node))


def _construct_plain(loader: _Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return loader.construct_scalar(node)


def _check_duplicates(loader: _Loader, pairs: list[tuple[yaml.Node, yaml.Node]]) -> None:
    """Atmos's YAML decoder rejects a mapping that gives one key twice (keys a merge key ``<<`` brings may repeat)."""
    first: dict[tuple[str, str], int] = {}
    scalar = yaml.ScalarNode
    for key_node, _ in pairs:
        if key_node.__class__ is not scalar or key_node.tag == _MERGE_TAG:
            continue
        ident = (key_node.tag, key_node.value)
        line = first.get(ident)
        if line is not None:
            raise ConfigError(f"duplicate key '{key_node.value}' (first at line {line})",
                              file=loader.harness_file, line=_mark_line(key_node))
        first[ident] = _mark_line(key_node)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    pairs = node.value
    if len(pairs) > 1:
        _check_duplicates(loader, pairs)
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    scalar = yaml.ScalarNode
    for key_node, value_node in node.value:
        # plain strings inline (the bulk of any manifest); everything else through construct_object
        if key_node.__class__ is scalar and key_node.tag == _STR_TAG:
            key = key_node.value
        else:
            key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = "" if key is None else (str(key).lower() if isinstance(key, bool) else str(key))
        if value_node.__class__ is scalar and value_node.tag == _STR_TAG:
            value = value_node.value
        else:
            value = loader.construct_object(value_node, deep=True)
        if key in result and isinstance(result[key], dict) and isinstance(value, dict):
            merged = dict(result[key])
            merged.update(value)
            value = merged
        result[key] = value
    return result


_Loader.add_multi_constructor("!", _function)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_SCALAR_CONSTRUCTORS: dict[str, Any] = {
    tag: _Loader.yaml_constructors[tag]
    for tag in (f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
}


def loads(text: str, file: Path | str = "<string>") -> Any:
    """Parse one YAML document; syntax errors become ConfigError with file and line."""
    loader = _Loader(text)
    loader.harness_file = Path(file)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {str(exc).strip().splitlines()[0]}", file=file) from None
    finally:
        loader.dispose()


_CACHE: dict[str, tuple[float, int, Any, bool]] = {}


def may_be_dynamic_text(text: str) -> bool:
    """False when no parsed string can hold ``{{`` or start with ``!`` (checked on the text, at C speed).

    A parsed string gets those characters from the text itself or from an escape (``\\x21``); ``!include``
    brings in other files, but its own ``!`` already answers True.
    """
    return "{{" in text or "!" in text or "\\" in text


def may_be_dynamic(path: Path) -> bool:
    """:func:`may_be_dynamic_text` of a file last read by :func:`load_file` (True when it is not cached)."""
    cached = _CACHE.get(str(path))
    return True if cached is None else cached[3]


def load_file(path: Path) -> Any:
    """Load a YAML file (cached by path, mtime and size). Callers must not mutate the result."""
    key = str(path)
    try:
        st = os.stat(key)
    except FileNotFoundError:
        raise ConfigError("file not found", file=path) from None
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == st.st_mtime and cached[1] == st.st_size:
        return cached[2]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc.reason}", file=path) from None
    data = loads(text, path)
    _CACHE[key] = (st.st_mtime, st.st_size, data, may_be_dynamic_text(text))
    return data


def clear_cache() -> None:
    _CACHE.clear()


def include(spec: str, current_file: Path, *, raw: bool = False, line: int | None = None) -> Any:
    """Resolve ``!include path [expr]``: ``./``/``../`` relative to the manifest, else the working directory."""
    parts = spec.split(None, 1)
    if not parts:
        raise ConfigError("!include needs a path", file=current_file, line=line)
    target = parts[0]
    if len(parts) > 1:
        raise ConfigError("!include with a query expression is not supported", file=current_file, line=line)
    if target.startswith(("http://", "https://", "s3://", "git::")):
        raise ConfigError(f"remote !include '{target}' is not supported offline", file=current_file, line=line)
    candidates = [current_file.parent / target] if target.startswith((".", "..")) else []
    candidates += [Path.cwd() / target, current_file.parent / target]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        raise ConfigError(f"!include: file '{target}' not found", file=current_file, line=line)
    text = path.read_text(encoding="utf-8")
    if raw:
        return text
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return loads(text, path)
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    if suffix in (".hcl", ".tf", ".tfvars"):
        from harness.terraform.hcl import HclSyntaxError
        from harness.terraform.hcl import loads as hcl_loads

        try:
            return hcl_loads(text, str(path))
        except HclSyntaxError as exc:
            raise ConfigError(f"invalid HCL: {str(exc).split(': ', 1)[-1]}", file=path, line=exc.line) from None
    return text


_NODES: dict[str, tuple[int, int, yaml.Node | None]] = {}


def _composed(path: Path) -> yaml.Node | None:
    """The file's node tree (cached by path, mtime and size: messages and provenance ask many lines of one file)."""
    key = str(path)
    st = os.stat(key)
    cached = _NODES.get(key)
    if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
        return cached[2]
    node: yaml.Node | None = yaml.compose(path.read_text(encoding="utf-8"), Loader=_BaseLoader)
    if len(_NODES) > 2048:
        _NODES.clear()
    _NODES[key] = (st.st_mtime_ns, st.st_size, node)
    return node


def line_of(path: Path, keys: tuple[str | int, ...]) -> int | None:
    """The line of the deepest existing key or item on ``keys`` in a YAML file, for messages."""
    try:
        node = _composed(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    line = _mark_line(node) if node is not None else None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if str(k.value) == str(key)), None)
            if pair is None:
                break
            line, node = _mark_line(pair[0]), pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = _mark_line(node)
        else:
            break
    return line
