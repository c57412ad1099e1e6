"""Turn tfparse's output into a Plan without ever passing a placeholder off as a value.

tfparse evaluates what it can and puts *something* everywhere else. The shapes found in
its output (tfparse 0.6.22) and what they become here:

==========================================  ==============================================
tfparse output                              Plan value
==========================================  ==============================================
block UUID (``"88a7d7d3-..."``) for a       ``Unknown(ref=<address>.<attr>)``; also inside
reference to an unset attribute             strings (``"prefix-<uuid>"``), upper-cased, in
(``aws_vpc.this.id``), a module output,     JSON (``jsonencode``) and map keys
a data source attribute
``{"__attribute__": "var.x", "__name__"}``  ``Unknown(ref="var.x")`` (a ``var`` whose value is
(+ ``__ref__``/``__type__`` for data)       known to be null becomes None)
``{"__unresolved__": "..."}``               ``Unknown``
``"${var.a}-${data.x.y.z}"`` (template      ``Unknown``
returned unevaluated), ``"${...}"``
a guessed literal (``"arn:aws:s3:::"``,     ``Unknown``: decided from the SOURCE expression,
bucket name as ``id``), ``length(<uuid>)``  which references an attribute the configuration
= 36, ``cond ? a : b`` on a UUID            does not set
``null`` from a failed expression           ``Unknown`` unless the expression can be null
(``file()`` missing, unknown function,      (``null`` literal, ``try``, ``one``, ``lookup``)
provider functions, splat of unknowns)
``"(sensitive value)"``                     ``Unknown`` (redacted), path listed as sensitive
``timestamp()``/``uuid()`` (real values     ``Unknown``: Terraform knows them only at apply;
that change every run)                      keeps plans deterministic
``count: null`` / count from an unknown     one representative instance (index None),
                                            address listed in ``plan.conditional``
for_each with UUID keys / failed expansion  no instances, listed in ``plan.unexpanded``
(debug log "Failed to expand block")
dynamic block whose for_each is unknown     the block attribute is ``Unknown``
==========================================  ==============================================

Whether an expression is known is decided on the source (read by ``_hcl``): it is unknown
when it references, directly or through locals, module inputs and outputs, an attribute
the configuration does not set, a data source the provider must read, an unset variable,
a module that could not be expanded, or an impure function.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from harness.engines import _addresses
from harness.engines._provider_version import aws_region_has_region
from harness.engines._sources import ModuleNode, iter_nodes
from harness.engines.base import PlanRequest
from harness.engines.iam import PolicyError, render_policy_document
from harness.plan.model import Deferred, Plan, Resource, SourceLocation, Unknown, unknown_paths
from harness.terraform.hcl_reader import Block, Expr, ExprInfo, Key, Ref, analyze, list_elements
from harness.terraform.sensitive_attrs import schema_sensitive_paths
from harness.terraform.set_attrs import order_sets, set_attribute_paths

META_ARGS = frozenset({"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner",
                       "connection", "dynamic", "__tfmeta"})
IMPURE_FUNCTIONS = frozenset({"timestamp", "uuid", "bcrypt", "plantimestamp"})
NULLABLE_FUNCTIONS = frozenset({"try", "one", "lookup", "coalesce", "can", "element"})
PURE_DATA = frozenset({"aws_caller_identity", "aws_partition", "aws_region", "aws_iam_policy_document"})
SPECIAL_ROOTS = frozenset({"each", "count", "self", "path", "terraform"})
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
SENSITIVE_TEXT = "(sensitive value)"
AFTER_APPLY = "known after apply"
_NONE: Any = object()
_FAILED_BLOCK = re.compile(r'msg="Failed to expand block[^"]*"[^\n]*?\bblock=(\S+)')
_FAILED_DYNAMIC = re.compile(r'msg="Failed to expand dynamic block\."[^\n]*?\bblock=(\S+)')


def _info(text: str, cache: dict[str, ExprInfo] = {}) -> ExprInfo:  # noqa: B006 - module-wide memo
    info = cache.get(text)
    if info is None:
        info = cache[text] = analyze(text)
    return info


def provider_for(node: ModuleNode, type_: str) -> str:
    """The provider address Terraform would show, from required_providers or the type prefix."""
    local = type_.split("_", 1)[0]
    walk: ModuleNode | None = node
    while walk is not None:
        if walk.source is not None and local in walk.source.providers:
            src = walk.source.providers[local]
            return src if src.count("/") >= 2 else f"registry.terraform.io/{src}"
        walk = walk.parent
    return f"registry.terraform.io/hashicorp/{local}"


def _prefixed(prefix: str, text: str) -> str:
    return f"{prefix}.{text}" if prefix else text


class StaticPlanBuilder:
    """Builds one Plan from one tfparse result."""

    def __init__(self, request: PlanRequest, tree: ModuleNode, result: Mapping[str, Any], log: str,
                 copy_dir: str | None = None) -> None:
        self.request = request
        #: data.aws_region has ``region`` only from provider 6 (None: the provider version is not known).
        self.region_attr = aws_region_has_region(request.component_dir)
        # abspath()/path.root evaluated in the temporary copy: show the real component path instead.
        self.copy_dir = copy_dir
        self.real_dir = str(request.component_dir.resolve())
        self.tree = tree
        self.nodes = {n.path: n for n in iter_nodes(tree)}
        self.log = log
        self.errors: list[str] = []
        self.unexpanded: list[Deferred] = []
        self.conditional: list[Deferred] = []
        self.uuids: dict[str, str] = {}
        self.groups: dict[tuple[str, str, str, str], list[tuple[_addresses.Address, dict[str, Any]]]]
        self.groups = defaultdict(list)
        self.module_instances: dict[str, list[str]] = defaultdict(list)
        self.outputs: dict[tuple[str, str], Any] = {}
        self.root_var_defaults: dict[str, Any] = {}
        self._status: dict[tuple[str, str], Unknown | None] = {}
        self._in_progress: set[tuple[str, str]] = set()
        self._policy: dict[tuple[str, str, int | str | None], dict[str, Any] | Unknown] = {}
        self._out_values: dict[tuple[str, str], Any] = {}
        self.failed_blocks = set(_FAILED_BLOCK.findall(log)) | set(_FAILED_DYNAMIC.findall(log))
        self._skipped: set[str] = set()
        self._index(result)

    # -- reading tfparse's output -------------------------------------------------------
    def _index(self, result: Mapping[str, Any]) -> None:
        for entries in result.values():
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, dict):
                    continue
                meta = entry.get("__tfmeta") or {}
                path = str(meta.get("path", ""))
                self._collect_uuids(entry, path)
                addr = _addresses.parse(path)
                rest = addr.rest
                kind = meta.get("type")
                if kind in ("resource", "data") and rest:
                    mode = "data" if kind == "data" else "managed"
                    names = rest[1:] if rest[0] == "data" else rest
                    if len(names) == 2:
                        self.groups[(addr.module_instance, mode, names[0], names[1])].append((addr, entry))
                elif not rest and addr.module_static:
                    self.module_instances[addr.module_static].append(addr.module_instance)
                elif len(rest) == 2 and rest[0] == "output":
                    self.outputs[(addr.module_instance, rest[1])] = entry.get("value")
                elif len(rest) == 2 and rest[0] == "variable" and not addr.module_static and "default" in entry:
                    self.root_var_defaults[rest[1]] = entry["default"]

    def _collect_uuids(self, entry: Mapping[str, Any], path: str) -> None:
        block_id = entry.get("id")
        if isinstance(block_id, str) and UUID_RE.fullmatch(block_id):
            self.uuids[block_id.lower()] = path
        for value in entry.values():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and "__tfmeta" in item:
                    self._collect_uuids(item, path)

    # -- is an expression known? --------------------------------------------------------
    def expr_status(self, node: ModuleNode, expr: Expr | None) -> Unknown | None:
        """None when the expression's value is known at plan time, else why not."""
        if expr is None:
            return None
        key = (node.path, expr.text)
        if key in self._status:
            return self._status[key]
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            status = self._compute_status(node, expr)
        finally:
            self._in_progress.discard(key)
        self._status[key] = status
        return status

    def _compute_status(self, node: ModuleNode, expr: Expr) -> Unknown | None:
        info = _info(expr.text)
        for fn in sorted(info.functions):
            if fn in IMPURE_FUNCTIONS:
                return Unknown(f"{fn}() is known only after apply", f"{fn}()")
        for ref in info.refs:
            status = self.ref_status(node, ref)
            if status is not None:
                return status
        return None

    def _block_status(self, node: ModuleNode, block: Block) -> Unknown | None:
        for name, expr in block.attrs.items():
            if name in ("depends_on", "lifecycle"):
                continue
            status = self.expr_status(node, expr)
            if status is not None:
                return status
        for child in block.blocks:
            if child.type == "lifecycle":
                continue
            status = self._block_status(node, child)
            if status is not None:
                return status
        return None

    def _attr_status(self, node: ModuleNode, block: Block, attr: str, ref_text: str) -> Unknown | None:
        if attr in block.attrs and attr not in META_ARGS:
            return self.expr_status(node, block.attrs[attr])
        nested = [b for b in block.blocks
                  if b.type == attr or (b.type == "dynamic" and b.labels and b.labels[0] == attr)]
        if nested:
            for child in nested:
                status = self._block_status(node, child)
                if status is not None:
                    return status
            return None
        return Unknown(AFTER_APPLY, _prefixed(node.path, ref_text))

    def ref_status(self, node: ModuleNode, ref: Ref) -> Unknown | None:
        """None when the referenced value is known at plan time."""
        root = ref.root
        name = ref.name_at(1)
        if root in SPECIAL_ROOTS or name is None:
            return None
        source = node.source
        if source is None:
            return None
        if root == "var":
            return self._var_status(node, name, ref)
        if root == "local":
            return self.expr_status(node, source.locals.get(name))
        if root == "module":
            child = node.children.get(name)
            if child is None:
                return None
            if child.missing_reason is not None or child.source is None:
                return Unknown(f"module not expanded: {child.missing_reason}", _prefixed(node.path, ref.text))
            call_status = self._call_status(child)
            if call_status is not None:
                return call_status
            out = ref.name_at(2)
            if out is None:
                for out_block in child.source.outputs.values():
                    status = self.expr_status(child, out_block.attrs.get("value"))
                    if status is not None:
                        return status
                return None
            out_decl = child.source.outputs.get(out)
            if out_decl is None:
                return Unknown(f"module {name} has no output {out!r}", _prefixed(node.path, ref.text))
            return self.expr_status(child, out_decl.attrs.get("value"))
        if root == "data":
            type_, dname, attr = name, ref.name_at(2), ref.name_at(3)
            if dname is None:
                return None
            data_block = source.data.get((type_, dname))
            if data_block is None or attr is None:
                return None
            if type_ in PURE_DATA:
                return self._pure_data_status(node, type_, data_block, attr, ref)
            if attr in data_block.attrs or any(b.type == attr for b in data_block.blocks):
                return self._attr_status(node, data_block, attr, ref.text)
            return Unknown("read by the provider at plan time; not available offline",
                           _prefixed(node.path, ref.text))
        res_block = source.resources.get((root, name))
        attr = ref.name_at(2)
        if res_block is None or attr is None:
            return None
        return self._attr_status(node, res_block, attr, ref.text)

    def _var_status(self, node: ModuleNode, name: str, ref: Ref) -> Unknown | None:
        if node.call is None:
            if name in self.request.variables:
                return None
            if name in self.request.unknown_inputs:
                return Unknown(self.request.unknown_inputs[name], f"var.{name}")
            var = node.source.variables.get(name) if node.source else None
            if var is not None and "default" not in var.attrs:
                return Unknown(f"variable {name!r} has no value", f"var.{name}")
            return None
        if name in node.call.attrs and node.parent is not None:
            return self.expr_status(node.parent, node.call.attrs[name])
        return None

    def _call_status(self, node: ModuleNode) -> Unknown | None:
        if node.call is None or node.parent is None:
            return None
        for meta in ("count", "for_each"):
            status = self.expr_status(node.parent, node.call.attrs.get(meta))
            if status is not None:
                return status
        return self._call_status(node.parent)

    def _pure_data_status(self, node: ModuleNode, type_: str, block: Block, attr: str,
                          ref: Ref) -> Unknown | None:
        where = _prefixed(node.path, ref.text)
        if "provider" in block.attrs and type_ != "aws_iam_policy_document":
            return Unknown("depends on an aliased provider's configuration", where)
        if type_ == "aws_caller_identity":
            if attr in ("account_id", "id") and self.request.account_id:
                return None
            return Unknown("the caller identity is not known offline", where)
        if type_ == "aws_region":
            if attr == "region" and self.region_attr is not True:
                return Unknown(self._no_region_attr(), where)
            if "name" in block.attrs or "region" in block.attrs:
                return self._block_status(node, block)
            if attr in ("name", "id", "region", "endpoint") and self.request.region:
                return None
            return Unknown("the region is not known offline", where)
        if type_ == "aws_partition":
            return None
        if attr in ("json", "minified_json", "id"):
            return self._block_status(node, block)
        return self._attr_status(node, block, attr, ref.text)

    def _sensitive(self, node: ModuleNode, expr: Expr | None, depth: int) -> bool:
        """Does the expression carry a sensitive value (``sensitive()``, a sensitive variable)?"""
        if expr is None or node.source is None or depth > 8:
            return False
        info = _info(expr.text)
        if "sensitive" in info.functions:
            return True
        for ref in info.refs:
            name = ref.name_at(1)
            if ref.root == "var" and name in node.source.variables:
                flag = node.source.variables[name].attrs.get("sensitive")
                if flag is not None and flag.text.strip() == "true":
                    return True
            elif (ref.root == "local" and name is not None
                  and self._sensitive(node, node.source.locals.get(name), depth + 1)):
                return True
        return False

    # -- values ---------------------------------------------------------------------------
    def clean(self, value: Any, expr: Expr | None, node: ModuleNode, top: bool = True) -> Any:
        """Replace every placeholder shape tfparse emits by Unknown."""
        if isinstance(value, dict):
            if "__attribute__" in value:
                attr = str(value["__attribute__"])
                if self._known_null(attr, node, 0):
                    return None
                return Unknown("could not be evaluated statically", attr)
            if "__unresolved__" in value:
                return Unknown("could not be evaluated statically", str(value["__unresolved__"]))
            return {str(k): self.clean(v, None, node, False) for k, v in value.items()
                    if k not in ("__tfmeta",)}
        if isinstance(value, list):
            return [self.clean(v, None, node, False) for v in value]
        if isinstance(value, str):
            return self._clean_string(value, expr)
        if value is None and top and expr is not None and not self._may_be_null(expr, node):
            return Unknown("the static evaluator could not evaluate this expression", expr.text.strip())
        return value

    def _clean_string(self, value: str, expr: Expr | None) -> Any:
        if self.copy_dir and self.copy_dir in value:
            value = value.replace(self.copy_dir, self.real_dir)
        if value == SENSITIVE_TEXT:
            return Unknown("sensitive value, redacted by the static evaluator")
        for m in UUID_RE.finditer(value):
            target = self.uuids.get(m.group(0).lower())
            if target is not None:
                return Unknown(AFTER_APPLY, target)
        if "${" in value:
            if "${...}" in value:
                return Unknown("template could not be evaluated statically", value)
            if expr is not None:
                source = expr.text.replace("$${", "")
                for m in re.finditer(r"\$\{[^}]*\}", value):
                    if m.group(0) in source:
                        return Unknown("template could not be evaluated statically", m.group(0))
        if '"__unresolved__"' in value:
            return Unknown("could not be evaluated statically", value)
        return value

    def _may_be_null(self, expr: Expr, node: ModuleNode | None = None, depth: int = 0) -> bool:
        """Can this expression legitimately be null? (else a null from tfparse means it failed)."""
        text = expr.text
        info = _info(text)
        if re.search(r"\bnull\b", text) or info.functions & NULLABLE_FUNCTIONS:
            return True
        if info.functions or not info.refs or depth > 8:
            return False
        for ref in info.refs:
            if ref.root == "var":
                continue
            if ref.root != "local":
                return False
            local = node.source.locals.get(ref.name_at(1) or "") if node and node.source else None
            if local is not None and not self._may_be_null(local, node, depth + 1):
                return False
        return True

    def _known_null(self, traversal: str, node: ModuleNode, depth: int) -> bool:
        """tfparse shows a null variable (or a local equal to one) as ``__attribute__``: is it one?"""
        parts = traversal.split(".")
        if len(parts) != 2 or depth > 8:
            return False
        if parts[0] == "var":
            return node.call is None and self._root_var_is_null(parts[1])
        if parts[0] == "local" and node.source is not None:
            local = node.source.locals.get(parts[1])
            whole = _info(local.text).whole_ref if local is not None else None
            return whole is not None and self._known_null(whole.text, node, depth + 1)
        return False

    def _root_var_is_null(self, name: str) -> bool:
        if name in self.request.variables:
            return self.request.variables[name] is None
        var = self.tree.source.variables.get(name) if self.tree.source else None
        if var is not None and "default" in var.attrs:
            return var.attrs["default"].text.strip() == "null"
        return False

    def attr_value(self, node: ModuleNode, inst: str, expr: Expr | None, value: Any) -> Any:
        """The plan value of one argument: Unknown when its source is, else tfparse's value cleaned."""
        if expr is None:
            return self.clean(value, None, node)
        status = self.expr_status(node, expr)
        if status is not None:
            return status
        info = _info(expr.text)
        if info.whole_ref is None:
            whole = self._whole_resource_status(node, info)
            if whole is not None:
                return whole
        if info.whole_ref is not None:
            resolved = self._resolve_whole(node, inst, info.whole_ref)
            if resolved is not _NONE:
                return resolved
        elif info.refs and isinstance(value, list):
            elements = list_elements(expr.text)
            if elements is not None and len(elements) == len(value):
                return [self.attr_value(node, inst, Expr(text, expr.line), item)
                        for text, item in zip(elements, value, strict=True)]
        return self.clean(value, expr, node)

    def _no_region_attr(self) -> str:
        if self.region_attr is None:
            return "data.aws_region.region exists only from hashicorp/aws 6; the provider version is not known"
        return "hashicorp/aws before 6 has no data.aws_region.region (only name)"

    def _whole_resource_status(self, node: ModuleNode, info: ExprInfo) -> Unknown | None:
        """A whole managed resource inside a larger expression (``{ for k, r in aws_x.this : k => r.id }``)
        holds attributes known only after apply: Terraform calls such values unknown, so does this engine."""
        source = node.source
        if source is None:
            return None
        for ref in info.refs:
            name = ref.name_at(1)
            if name is not None and ref.name_at(2) is None and (ref.root, name) in source.resources:
                return Unknown(f"{AFTER_APPLY} (the whole resource {ref.root}.{name} is referenced)",
                               _prefixed(node.path, ref.text))
        return None

    def _resolve_whole(self, node: ModuleNode, inst: str, ref: Ref) -> Any:
        root = ref.root
        if root == "data" and node.source is not None:
            type_, name, attr = ref.name_at(1), ref.name_at(2), ref.name_at(3)
            if type_ in PURE_DATA and name is not None and attr is not None:
                block = node.source.data.get((type_, name))
                if block is None:
                    return _NONE
                key = ref.key_after(2)
                values = self.pure_data_values(node, inst, type_, name, block,
                                               key.value if key is not None else None)
                return values.get(attr, _NONE) if isinstance(values, dict) else _NONE
        if root == "module":
            name = ref.name_at(1)
            out = ref.name_at(2)
            child = node.children.get(name or "")
            if child is None or out is None:
                return _NONE
            key = ref.key_after(1)
            seg = f"module.{name}" + ("" if key is None else _addresses_index(key))
            if key is not None and key.value is None:
                return _NONE
            child_inst = _prefixed(inst, seg)
            if child_inst not in self.module_instances.get(child.path, []):
                return _NONE
            return self.output_value(child, child_inst, out)
        return _NONE

    def output_value(self, node: ModuleNode, inst: str, name: str) -> Any:
        """One module output's plan value (memoized)."""
        key = (inst, name)
        if key in self._out_values:
            return self._out_values[key]
        self._out_values[key] = Unknown("cyclic output", _prefixed(inst, f"output.{name}"))
        block = node.source.outputs.get(name) if node.source else None
        expr = block.attrs.get("value") if block else None
        value = self.attr_value(node, inst, expr, self.outputs.get(key))
        self._out_values[key] = value
        return value

    def block_values(self, node: ModuleNode, inst: str, src: Block | None, entry: Mapping[str, Any]) -> dict[str, Any]:
        """The values of one block instance: arguments and nested blocks (always lists)."""
        attrs = src.attrs if src is not None else {}
        out: dict[str, Any] = {}
        for key, value in entry.items():
            if key in META_ARGS or (key == "id" and "id" not in attrs):
                continue
            if key in attrs:
                out[key] = self.attr_value(node, inst, attrs[key], value)
            elif _is_block(value):
                items = value if isinstance(value, list) else [value]
                out[key] = [self.block_values(node, inst, _match_nested(src, key, item), item)
                            for item in items if isinstance(item, dict)]
            else:
                out[key] = self.clean(value, None, node)
        for key, expr in attrs.items():
            if key not in out and key not in META_ARGS and key != "id":
                out[key] = self.expr_status(node, expr)
        if src is not None:
            for child in src.blocks:
                if child.type != "dynamic" or not child.labels:
                    continue
                name = child.labels[0]
                status = self.expr_status(node, child.attrs.get("for_each"))
                if status is not None:
                    out[name] = Unknown(f"dynamic {name} block: for_each {status.reason}", status.ref)
                elif name not in out and self.failed_blocks:
                    out[name] = Unknown(f"dynamic {name} block could not be expanded statically")
        return out

    def pure_data_values(self, node: ModuleNode, inst: str, type_: str, name: str, block: Block,
                         index: int | str | None) -> dict[str, Any] | Unknown:
        """What the provider would compute for a pure data source, without any API call."""
        req = self.request
        where = _prefixed(inst, f"data.{type_}.{name}")
        if "provider" in block.attrs and type_ != "aws_iam_policy_document":
            return Unknown("depends on an aliased provider's configuration", where)
        if type_ == "aws_caller_identity":
            acct: Any = req.account_id or Unknown("the account id is not known offline", f"{where}.account_id")
            return {"account_id": acct, "arn": Unknown(AFTER_APPLY, f"{where}.arn"), "id": acct,
                    "user_id": Unknown(AFTER_APPLY, f"{where}.user_id")}
        if type_ == "aws_partition":
            return {"partition": req.partition, "dns_suffix": req.dns_suffix,
                    "reverse_dns_prefix": ".".join(reversed(req.dns_suffix.split("."))),
                    "id": req.partition}
        if type_ == "aws_region":
            if "name" in block.attrs or "region" in block.attrs:
                return _NONE_DICT
            if not req.region:
                unknown = Unknown("the region is not known offline", f"{where}.name")
                values: dict[str, Any] = {"name": unknown, "id": unknown, "endpoint": unknown}
            else:
                values = {"name": req.region, "id": req.region, "endpoint": f"ec2.{req.region}.{req.dns_suffix}"}
            if self.region_attr is None:
                values["region"] = Unknown(self._no_region_attr(), f"{where}.region")
            elif self.region_attr:
                values["region"] = values["name"]
            return values
        key = (inst, name, index)
        if key not in self._policy:
            self._policy[key] = _NONE_DICT
            entries = self.groups.get((inst, "data", type_, name), [])
            entry = next((e for a, e in entries if a.index == index), entries[0][1] if entries else {})
            config = self.block_values(node, inst, block, entry)
            try:
                rendered = render_policy_document(config)
            except PolicyError as exc:
                self.errors.append(f"{where}: {exc}")
                rendered = Unknown(f"the provider would reject this document: {exc}", where)
            if isinstance(rendered, Unknown):
                config.update({"json": rendered, "minified_json": rendered, "id": rendered})
            else:
                config.update(rendered)
            self._policy[key] = config
        return self._policy[key]

    # -- the plan ---------------------------------------------------------------------------
    def build(self) -> Plan:
        """Walk every module and block of the source and emit the plan."""
        resources: list[Resource] = []
        for node in iter_nodes(self.tree):
            if node.call is not None and self._skip_module(node):
                continue
            insts = [""] if node.call is None else sorted(set(self.module_instances.get(node.path, [])))
            if node.source is None:
                continue
            for inst in insts:
                for (type_, name), block in sorted(node.source.resources.items()):
                    resources.extend(self._instances(node, inst, "managed", type_, name, block))
                for (type_, name), block in sorted(node.source.data.items()):
                    resources.extend(self._instances(node, inst, "data", type_, name, block))
        outputs: dict[str, Any] = {}
        sensitive_outputs: list[str] = []
        if self.tree.source is not None:
            for name, block in sorted(self.tree.source.outputs.items()):
                outputs[name] = self.output_value(self.tree, "", name)
                if block.attrs.get("sensitive") and block.attrs["sensitive"].text.strip() == "true":
                    sensitive_outputs.append(name)
        return Plan(
            stack=self.request.stack, component=self.request.component, engine="static",
            complete=False, resources=resources, outputs=outputs, variables=self._variables(),
            unexpanded=self.unexpanded, conditional=self.conditional, errors=self.errors,
            output_sensitive=sensitive_outputs, variable_sensitive=self._sensitive_variables(),
        )

    def _sensitive_variables(self) -> list[str]:
        """Root variables declared ``sensitive = true``."""
        variables = self.tree.source.variables if self.tree.source is not None else {}
        return [name for name, block in variables.items()
                if "sensitive" in block.attrs and block.attrs["sensitive"].text.strip() == "true"]

    def _variables(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.tree.source is None:
            return out
        for name, block in sorted(self.tree.source.variables.items()):
            if name in self.request.variables:
                out[name] = self.request.variables[name]
            elif name in self.request.unknown_inputs:
                out[name] = Unknown(self.request.unknown_inputs[name], f"var.{name}")
            elif "default" in block.attrs:
                out[name] = self.clean(self.root_var_defaults.get(name), block.attrs["default"], self.tree)
            else:
                self.errors.append(f"no value for required variable {name!r} "
                                   f"({block.file}:{block.line_start})")
        return out

    def _skip_module(self, node: ModuleNode) -> bool:
        """True when this module call's contents cannot be planned (recorded once per call)."""
        call = node.call
        assert call is not None
        walk = node.parent
        while walk is not None:
            if walk.path in self._skipped:
                self._skipped.add(node.path)
                return True
            walk = walk.parent
        loc = SourceLocation(call.file, call.line_start)
        reason: str | None = node.missing_reason
        if reason is None and node.parent is not None:
            for meta in ("for_each", "count"):
                status = self.expr_status(node.parent, call.attrs.get(meta))
                if status is not None:
                    reason = f"{meta} depends on {status.ref or 'an unknown value'} ({status.reason})"
                    break
        if reason is None:
            return False
        self._skipped.add(node.path)
        self.unexpanded.append(Deferred(node.path, reason, loc))
        return True

    def _instances(self, node: ModuleNode, inst: str, mode: str, type_: str, name: str,
                   block: Block) -> list[Resource]:
        entries = self.groups.get((inst, mode, type_, name), [])
        prefix = "data." if mode == "data" else ""
        base = _prefixed(inst, f"{prefix}{type_}.{name}")
        loc = SourceLocation(block.file, block.line_start)
        count_expr = block.attrs.get("count")
        each_expr = block.attrs.get("for_each")
        if count_expr is not None:
            status = self.expr_status(node, count_expr)
            counts = [e.get("count") for _, e in entries]
            bad = [c for c in counts if not isinstance(c, int) or isinstance(c, bool)]
            if status is not None or bad:
                why = (f"count depends on {status.ref or 'an unknown value'} ({status.reason})"
                       if status is not None else "count could not be evaluated statically")
                self.conditional.append(Deferred(base, why, loc))
                entry = entries[0][1] if entries else {}
                return [self._resource(node, inst, mode, type_, name, None, block, entry, loc)]
        elif each_expr is not None:
            status = self.expr_status(node, each_expr)
            fake_keys = any(isinstance(a.index, str) and UUID_RE.search(a.index) for a, _ in entries)
            failed = not entries and f"{type_}.{name}" in self.failed_blocks
            if status is not None or fake_keys or failed:
                why = (f"for_each depends on {status.ref or 'an unknown value'} ({status.reason})"
                       if status is not None
                       else "for_each keys are known only after apply" if fake_keys
                       else "for_each value could not be evaluated statically (unknown or not iterable)")
                self.unexpanded.append(Deferred(base, why, loc))
                return []
        elif not entries:
            entries = [(_addresses.parse(base), {})]
        out = []
        for addr, entry in sorted(entries, key=lambda ae: str(ae[0].index)):
            index = addr.index if (count_expr is not None or each_expr is not None) else None
            out.append(self._resource(node, inst, mode, type_, name, index, block, entry, loc))
        return out

    def _resource(self, node: ModuleNode, inst: str, mode: str, type_: str, name: str,
                  index: int | str | None, block: Block, entry: Mapping[str, Any],
                  loc: SourceLocation) -> Resource:
        prefix = "data." if mode == "data" else ""
        address = _prefixed(inst, f"{prefix}{type_}.{name}") + _addresses_index_value(index)
        if mode == "data" and type_ in PURE_DATA:
            pure = self.pure_data_values(node, inst, type_, name, block, index)
            values = dict(pure) if isinstance(pure, dict) and pure is not _NONE_DICT else (
                self.block_values(node, inst, block, entry))
            if isinstance(pure, Unknown):
                values = {"id": pure}
            if type_ == "aws_region" and pure is _NONE_DICT:
                values = self.block_values(node, inst, block, entry)
                values.setdefault("id", values.get("name", Unknown(AFTER_APPLY, f"{address}.id")))
        else:
            values = self.block_values(node, inst, block, entry)
            if "id" not in values:
                values["id"] = Unknown(AFTER_APPLY, f"{address}.id")
        provider = provider_for(node, type_)
        order_sets(values, set_attribute_paths(provider, mode, type_))
        for attr in NORMALIZED_JSON.get((mode, type_), ()):
            if isinstance(values.get(attr), str):
                values[attr] = normalize_json(values[attr], f"{address}.{attr}")
        unknown = unknown_paths(values)
        redacted = {p for p in unknown if _is_redacted(values, p)}
        declared = {k for k, expr in block.attrs.items() if k in values and self._sensitive(node, expr, 0)}
        schema = schema_sensitive_paths(provider, mode, type_, values, self.request.component_dir)
        return Resource(
            address=address, mode=mode, type=type_, name=name, index=index,
            module_address=inst or None, provider=provider,
            actions=("read",) if mode == "data" else ("create",), values=values,
            unknown=frozenset(p for p in unknown if p), sensitive=frozenset(redacted | declared | schema), source=loc,
        )


_NONE_DICT: dict[str, Any] = {}

#: Attributes the AWS provider stores as normalized JSON at plan time (its StateFunc): keys sorted, no spaces.
NORMALIZED_JSON: dict[tuple[str, str], tuple[str, ...]] = {
    ("managed", "aws_iam_role"): ("assume_role_policy",),
    ("managed", "aws_kms_key"): ("policy",),
}


def normalize_json(text: str, ref: str) -> Any:
    """``text`` as the provider's ``structure.NormalizeJsonString`` prints it (Go's ``json.Marshal`` of the parsed
    document); unknown when it holds a float or a large number, whose Go formatting is not reproduced here."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return text  # the provider rejects it; the validation reports that
    if _has_float(parsed):
        return Unknown("a JSON number the provider reformats", ref)
    out = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(char, escaped)
    return out


def _has_float(value: Any) -> bool:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1e21):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def _is_redacted(values: Mapping[str, Any], path: str) -> bool:
    from harness.plan.model import get_path

    value = get_path(values, path, None)
    return isinstance(value, Unknown) and value.reason.startswith("sensitive value")


def _addresses_index(key: Key) -> str:
    return _addresses_index_value(key.value)


def _addresses_index_value(index: int | str | None) -> str:
    from harness.plan.model import format_index

    return format_index(index)


def _is_block(value: Any) -> bool:
    if isinstance(value, dict):
        return "__tfmeta" in value
    if isinstance(value, list) and value:
        return all(isinstance(v, dict) and "__tfmeta" in v for v in value)
    return False


def _match_nested(src: Block | None, key: str, item: Mapping[str, Any]) -> Block | None:
    if src is None:
        return None
    line = (item.get("__tfmeta") or {}).get("line_start")
    plain = [b for b in src.blocks if b.type == key]
    for b in plain:
        if b.line_start == line:
            return b
    for b in src.blocks:
        if b.type == "dynamic" and b.labels and b.labels[0] == key:
            content = b.children("content")
            if content:
                return content[0]
    return plain[0] if plain else None


def build_plan(request: PlanRequest, tree: ModuleNode, result: Mapping[str, Any], log: str,
               copy_dir: str | None = None) -> Plan:
    """One tfparse result (with its debug log) -> Plan; ``copy_dir`` is the temporary copy tfparse read."""
    return StaticPlanBuilder(request, tree, result, log, copy_dir).build()
