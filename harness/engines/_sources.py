"""The component's source tree as the static engine sees it: files, blocks, modules.

Scans are cached by (path, mtime, size): many stacks share one component, and reading
its blocks once per run keeps the static engine's overhead over bare tfparse small.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import EvaluationError
from harness.terraform.hcl_reader import Block, Expr, HclSyntaxError, json_blocks, parse_blocks

# Folders never copied nor scanned: provider binaries can weigh hundreds of megabytes.
SKIP_DIRS = frozenset({".git", ".terraform", ".harness-cache", "__pycache__", ".terragrunt-cache"})
LOCAL_SOURCE = re.compile(r"^\.\.?(/|$)")

_scan_cache: dict[tuple[str, int, int], list[Block]] = {}


def scan_file(path: Path, rel: str) -> list[Block]:
    """Blocks of one ``.tf``/``.tf.json`` file, cached by mtime and size."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    cached = _scan_cache.get(key)
    if cached is not None:
        return cached
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        blocks = json_blocks(json.loads(text), rel) if path.name.endswith(".tf.json") else parse_blocks(text, rel)
    except HclSyntaxError as exc:
        raise EvaluationError(f"cannot read HCL: {exc}", file=rel, line=exc.line) from None
    except json.JSONDecodeError as exc:
        raise EvaluationError(f"invalid JSON: {exc.msg}", file=rel, line=exc.lineno) from None
    for block in blocks:
        _set_file(block, rel)
    _scan_cache[key] = blocks
    return blocks


def _set_file(block: Block, rel: str) -> None:
    block.file = rel
    for child in block.blocks:
        _set_file(child, rel)


def tf_files(directory: Path) -> list[Path]:
    """The Terraform files of one module directory (not recursive), sorted like Terraform."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    return [directory / n for n in names
            if (n.endswith(".tf") or n.endswith(".tf.json")) and (directory / n).is_file()]


@dataclass
class ModuleSource:
    """The blocks of one module directory, indexed the way references look them up."""

    dir: str
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    locals: dict[str, Expr] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    variables: dict[str, Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)


_module_cache: dict[tuple[str, str, tuple[tuple[str, int, int], ...]], ModuleSource] = {}


def load_module(root: Path, rel_dir: str) -> ModuleSource:
    """Scan one module directory (``rel_dir`` relative to the component directory)."""
    directory = (root / rel_dir) if rel_dir != "." else root
    files = tf_files(directory)
    stamp = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
    key = (str(root), rel_dir, stamp)
    cached = _module_cache.get(key)
    if cached is not None:
        return cached
    mod = ModuleSource(rel_dir)
    for path in files:
        rel = os.path.normpath(os.path.join(rel_dir, path.name)) if rel_dir != "." else path.name
        for block in scan_file(path, rel):
            _index(mod, block)
    _module_cache[key] = mod
    return mod


_PROVIDER_SOURCE = re.compile(r'(\w[\w-]*)\s*=\s*\{[^{}]*?source\s*=\s*"([^"]+)"', re.S)


def _index(mod: ModuleSource, block: Block) -> None:
    labels = block.labels
    if block.type == "resource" and len(labels) == 2:
        mod.resources[(labels[0], labels[1])] = block
    elif block.type == "data" and len(labels) == 2:
        mod.data[(labels[0], labels[1])] = block
    elif block.type == "locals":
        mod.locals.update(block.attrs)
    elif block.type == "output" and labels:
        mod.outputs[labels[0]] = block
    elif block.type == "variable" and labels:
        mod.variables[labels[0]] = block
    elif block.type == "module" and labels:
        mod.modules[labels[0]] = block
    elif block.type == "terraform":
        for rp in block.children("required_providers"):
            for name, expr in rp.attrs.items():
                m = re.search(r'source\s*=\s*"([^"]+)"', expr.text)
                if m:
                    mod.providers[name] = m.group(1)


def literal_string(expr: Expr | None) -> str | None:
    """The value of a plain quoted-string expression, else None."""
    if expr is None:
        return None
    text = expr.text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and "${" not in text:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, str) else None
    return None


def installed_modules(root: Path) -> dict[str, str]:
    """``.terraform/modules/modules.json``: module key (``a.b``) -> directory relative to root."""
    path = root / ".terraform" / "modules" / "modules.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    out: dict[str, str] = {}
    for item in data.get("Modules", []) if isinstance(data, dict) else []:
        if isinstance(item, dict) and item.get("Key") and item.get("Dir"):
            out[str(item["Key"])] = os.path.normpath(str(item["Dir"]))
    return out


@dataclass
class ModuleNode:
    """One module call (static, without instance keys) and where its code lives."""

    path: str
    key: str
    dir: str | None
    call: Block | None
    parent: ModuleNode | None
    source: ModuleSource | None
    missing_reason: str | None = None
    children: dict[str, ModuleNode] = field(default_factory=dict)


def module_tree(root: Path) -> ModuleNode:
    """Resolve every module call from the root: local paths and installed registry modules."""
    installed = installed_modules(root)
    top = ModuleNode("", "", ".", None, None, load_module(root, "."))
    _expand(root, top, installed, 0)
    return top


def _expand(root: Path, node: ModuleNode, installed: dict[str, str], depth: int) -> None:
    if node.source is None or depth > 16:
        return
    for name, call in sorted(node.source.modules.items()):
        path = f"{node.path}.module.{name}" if node.path else f"module.{name}"
        key = f"{node.key}.{name}" if node.key else name
        source = literal_string(call.attrs.get("source")) or ""
        child = ModuleNode(path, key, None, call, node, None)
        if LOCAL_SOURCE.match(source) and node.dir is not None:
            rel = os.path.normpath(os.path.join(node.dir, source))
            if (root / rel).is_dir():
                child.dir = rel
            else:
                child.missing_reason = f"local module source {source!r} not found"
        elif key in installed and (root / installed[key]).is_dir():
            child.dir = installed[key]
        else:
            version = literal_string(call.attrs.get("version"))
            what = f"{source} {version}" if version else source
            child.missing_reason = (
                f"module source {what!r} is not installed (no .terraform/modules entry for "
                f"{key!r}); run `terraform init` in the component to expand it"
            )
        if child.dir is not None:
            child.source = load_module(root, child.dir)
            if child.dir == node.dir or _is_ancestor_call(node, child.dir):
                child.missing_reason = f"module {path} calls itself (source {source!r})"
                child.source = None
                child.dir = None
        node.children[name] = child
        _expand(root, child, installed, depth + 1)


def _is_ancestor_call(node: ModuleNode | None, rel_dir: str) -> bool:
    while node is not None:
        if node.dir == rel_dir:
            return True
        node = node.parent
    return False


def external_dirs(root: Path, tree: ModuleNode) -> list[str]:
    """Module directories outside the component directory (``../shared/x``), relative to it."""
    out: set[str] = set()

    def walk(node: ModuleNode) -> None:
        if node.dir is not None and node.dir.startswith(".."):
            out.add(node.dir)
        for child in node.children.values():
            walk(child)

    walk(tree)
    return sorted(out)


def iter_nodes(node: ModuleNode) -> list[ModuleNode]:
    """The node and all its descendants, depth first."""
    out = [node]
    for child in node.children.values():
        out.extend(iter_nodes(child))
    return out


def plan_input_files(directory: Path) -> list[tuple[str, Path, tuple[int, int, int]]]:
    """Every file under a component (or module) folder that can change a plan, in a stable order.

    ``.terraform`` keeps only ``modules`` (the registry module tree); state files are left out.
    Each entry: (normalized relative name, path, (inode, mtime_ns, size)).
    """
    out: list[tuple[str, Path, tuple[int, int, int]]] = []
    for dirpath, dirnames, filenames in os.walk(directory):
        rel = os.path.relpath(dirpath, directory)
        if rel == ".terraform":
            dirnames[:] = [d for d in dirnames if d == "modules"]
        else:
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS or (rel == "." and d == ".terraform")]
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith((".tfstate", ".tfstate.backup")):
                continue
            path = Path(dirpath) / name
            st = path.stat()
            out.append((os.path.normpath(os.path.join(rel, name)), path, (st.st_ino, st.st_mtime_ns, st.st_size)))
    return out
