"""Which resource attributes a provider's schema types as sets (``ingress``, ``statement.*.actions``, ...).

A set has no order. Terraform prints a set of strings or numbers sorted (cty's order) and a set of objects in
an order of its own; the static engine has no provider, so it reads the set attributes from a table made from
``terraform providers schema -json`` (``harness/data/aws_set_attributes.json`` ships with the package) to:

- print a set of primitive values as Terraform does (:func:`order_sets`);
- let the fidelity check (:mod:`harness.plan.compare`) compare a set of objects whatever its order.

A path is dotted; ``*`` stands for every item of a nested block, list, set or map (``ingress.*.security_groups``).
``python -m harness.terraform.set_attrs SCHEMA.json --output FILE`` makes a table from a schema document.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from harness.plan.model import Unknown, get_path, split_path
from harness.plan.sensitive import Sensitive, expand_paths

SHIPPED = "aws_set_attributes.json"
FORMAT = 1


def _type_paths(ctype: Any, prefix: str) -> list[str]:
    out: list[str] = []
    if isinstance(ctype, list) and ctype:
        if ctype[0] == "set":
            out.append(prefix)
        if ctype[0] in ("set", "list", "map") and len(ctype) > 1:
            out += _type_paths(ctype[1], f"{prefix}.*")
        elif ctype[0] == "object" and len(ctype) > 1 and isinstance(ctype[1], Mapping):
            for name, sub in ctype[1].items():
                out += _type_paths(sub, f"{prefix}.{name}")
    return out


def block_set_paths(block: Mapping[str, Any], prefix: str = "") -> list[str]:
    """The set-typed paths of one schema block (attributes, nested attribute types and nested blocks)."""
    out: list[str] = []
    for name, attr in (block.get("attributes") or {}).items():
        if not isinstance(attr, Mapping):
            continue
        if "type" in attr:
            out += _type_paths(attr["type"], prefix + name)
        nested = attr.get("nested_type")
        if isinstance(nested, Mapping):
            if nested.get("nesting_mode") == "set":
                out.append(prefix + name)
            out += block_set_paths(nested, f"{prefix}{name}.*.")
    for name, nested_block in (block.get("block_types") or {}).items():
        if not isinstance(nested_block, Mapping) or not isinstance(nested_block.get("block"), Mapping):
            continue
        mode = nested_block.get("nesting_mode")
        if mode == "set":
            out.append(prefix + name)
        out += block_set_paths(nested_block["block"], f"{prefix}{name}.*." if mode != "single" else f"{prefix}{name}.")
    return sorted(set(out))


def table_from_schema(schema: Mapping[str, Any], provider: str, version: str) -> dict[str, Any]:
    """The set-attribute table of one provider of a ``terraform providers schema -json`` document."""
    body = (schema.get("provider_schemas") or {}).get(provider) or {}
    kinds: dict[str, dict[str, list[str]]] = {"managed": {}, "data": {}}
    for key, kind in (("resource_schemas", "managed"), ("data_source_schemas", "data")):
        for type_, entry in sorted((body.get(key) or {}).items()):
            paths = block_set_paths(entry.get("block") or {})
            if paths:
                kinds[kind][type_] = paths
    return {"format": FORMAT, "provider": provider, "version": version, **kinds}


@lru_cache(maxsize=1)
def _shipped() -> Mapping[str, Any]:
    data: Mapping[str, Any] = json.loads((resources.files("harness") / "data" / SHIPPED).read_text(encoding="utf-8"))
    return data


def set_attribute_paths(provider: str, mode: str, type_: str) -> tuple[str, ...]:
    """The set-typed paths of one resource (``mode`` managed) or data source (``mode`` data) type."""
    table = _shipped()
    address = provider if provider.count("/") >= 2 else f"registry.terraform.io/{provider}"
    if table.get("provider") != address:
        return ()
    return tuple((table.get("data" if mode == "data" else "managed") or {}).get(type_, ()))


def _plain(value: Any) -> Any:
    return value.reveal() if isinstance(value, Sensitive) else value


def _cty_key(value: Any) -> tuple[int, Any] | None:
    """The sort key of a primitive set element as cty orders it; None when the set cannot be ordered."""
    value = _plain(value)
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value.encode("utf-8"))
    return None


def order_sets(values: dict[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """``values`` with each set of known primitive values at ``paths`` sorted as Terraform prints it (in place).

    A set holding an unknown, an object or values of several types keeps its order.
    """
    for path in sorted(expand_paths(values, paths), key=lambda p: -len(split_path(p))):
        keys = split_path(path)
        items = get_path(values, keys, None)
        if not isinstance(items, list) or len(items) < 2 or any(isinstance(i, Unknown) for i in items):
            continue
        found = [_cty_key(i) for i in items]
        sort_keys = [k for k in found if k is not None]
        if len(sort_keys) != len(items) or len({k[0] for k in sort_keys}) != 1:
            continue
        ordered = [item for _, item in sorted(zip(sort_keys, items, strict=True), key=lambda pair: pair[0])]
        parent = get_path(values, keys[:-1], None) if len(keys) > 1 else values
        if isinstance(parent, (dict, list)):
            parent[keys[-1]] = ordered  # type: ignore[index]
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """Write the set-attribute table of one provider from a ``terraform providers schema -json`` file."""
    parser = argparse.ArgumentParser(prog="python -m harness.terraform.set_attrs", description=main.__doc__)
    parser.add_argument("schema", type=Path, help="terraform providers schema -json output")
    parser.add_argument("--provider", default="registry.terraform.io/hashicorp/aws")
    parser.add_argument("--version", required=True, help="the provider version the schema came from")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    table = table_from_schema(json.loads(args.schema.read_text(encoding="utf-8")), args.provider, args.version)
    lines = [f'{{"format": {FORMAT}, "provider": {json.dumps(args.provider)}, "version": {json.dumps(args.version)},']
    for kind in ("managed", "data"):
        entries = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in table[kind].items()]
        closing = "}," if kind == "managed" else "}"
        lines.append(f' "{kind}": {{\n' + ",\n".join(entries) + f"\n {closing}")
    args.output.write_text("\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"{args.provider} {args.version}: {sum(len(v) for v in table['managed'].values())} resource and "
          f"{sum(len(v) for v in table['data'].values())} data source set paths", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
