"""Hypothesis strategies for Atmos stack trees and Terraform variable values.

Public so that repositories using the harness can write their own property tests:

- :func:`stack_trees` builds small but complete Atmos repositories (catalog files with abstract bases,
  mixins, top-level stacks with ordered imports, ``metadata.inherits`` and ``overrides``) as data, and
  :func:`write_tree` puts one on disk;
- :func:`values_of_type` generates values that fit a Terraform type constraint, e.g. for a component's
  declared variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from harness.terraform.expr import Node, NotEvaluable, parse

NAMES = st.sampled_from(["a", "b", "c", "d", "e", "name", "size", "tags", "enabled"])
SCALARS = st.one_of(st.integers(-5, 5), st.booleans(), st.sampled_from(["x", "y", "z", "10.0.0.0/16", ""]))


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    """YAML values: scalars, lists of scalars, and maps nested ``depth`` levels."""
    if depth <= 0:
        return st.one_of(SCALARS, st.lists(SCALARS, max_size=3))
    return st.one_of(
        SCALARS,
        st.lists(SCALARS, max_size=3),
        st.dictionaries(NAMES, st.deferred(lambda: values(depth - 1)), max_size=3),
    )


def var_maps(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(NAMES, values(depth), max_size=4)


@dataclass
class StackTree:
    """An Atmos repository as data: relative path -> YAML document, plus what the generator intended."""

    files: dict[str, Any] = field(default_factory=dict)
    stacks: dict[str, str] = field(default_factory=dict)  # stack name -> manifest path
    components: dict[str, list[str]] = field(default_factory=dict)  # stack name -> deployable components
    bases: dict[str, list[str]] = field(default_factory=dict)  # component -> inherits (in order)


ATMOS_YAML = {
    "base_path": ".",
    "components": {"terraform": {"base_path": "components/terraform"}},
    "stacks": {
        "base_path": "stacks",
        "included_paths": ["orgs/**/*"],
        "excluded_paths": ["**/_defaults.yaml"],
        "name_pattern": "{tenant}-{environment}-{stage}",
    },
}


@st.composite
def stack_trees(draw: st.DrawFn, max_stacks: int = 3, max_components: int = 3) -> StackTree:
    """A valid repository: every import exists, bases are defined, stack names are unique."""
    tree = StackTree(files={"atmos.yaml": ATMOS_YAML})
    n_components = draw(st.integers(1, max_components))
    components = [f"c{i}" for i in range(n_components)]
    catalog_files: list[str] = []
    for comp in components:
        body: dict[str, Any] = {"vars": draw(var_maps())}
        section: dict[str, Any] = {comp: body}
        if draw(st.booleans()):
            base_a, base_b = f"{comp}-base-a", f"{comp}-base-b"
            section[base_a] = {"metadata": {"type": "abstract", "component": comp}, "vars": draw(var_maps())}
            section[base_b] = {"metadata": {"type": "abstract", "component": comp}, "vars": draw(var_maps())}
            order = draw(st.permutations([base_a, base_b]))
            body["metadata"] = {"inherits": list(order)}
            tree.bases[comp] = list(order)
        path = f"stacks/catalog/{comp}.yaml"
        tree.files[path] = {"components": {"terraform": section}}
        catalog_files.append(f"catalog/{comp}")
    tree.files["stacks/mixins/region/ue1.yaml"] = {"vars": {"environment": "ue1", "region": "us-east-1"}}
    n_stacks = draw(st.integers(1, max_stacks))
    for i in range(n_stacks):
        stage = f"s{i}"
        imports = draw(st.lists(st.sampled_from(catalog_files), min_size=1, max_size=len(catalog_files),
                                unique=True))
        manifest: dict[str, Any] = {
            "import": ["mixins/region/ue1", *imports],
            "vars": {"tenant": "t", "stage": stage, **draw(var_maps(1))},
        }
        own = draw(st.dictionaries(st.sampled_from([c.rsplit("/", 1)[-1] for c in imports]), var_maps(1),
                                   max_size=2))
        if own:
            manifest["components"] = {"terraform": {c: {"vars": v} for c, v in own.items()}}
        if draw(st.booleans()):
            manifest["overrides"] = {"vars": draw(var_maps(1))}
        name = f"t-ue1-{stage}"
        path = f"stacks/orgs/acme/{stage}.yaml"
        tree.files[path] = manifest
        tree.stacks[name] = path
        tree.components[name] = sorted(c.rsplit("/", 1)[-1] for c in imports)
    for comp in components:
        tree.files[f"components/terraform/{comp}/main.tf"] = 'variable "a" {\n  default = null\n}\n'
    return tree


def write_tree(tree: StackTree, root: Path) -> Path:
    """Write a generated repository under ``root`` (YAML documents and plain text files)."""
    for rel, content in tree.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False))
    return root


def _values_of(node: Node) -> st.SearchStrategy[Any]:
    kind = node[0]
    if kind == "name":
        name = node[1]
        if name == "string":
            return st.text(alphabet="abcxyz-_0123456789", max_size=8)
        if name == "number":
            return st.one_of(st.integers(-1000, 1000), st.floats(-1e3, 1e3, allow_nan=False))
        if name == "bool":
            return st.booleans()
        return values(1)
    if kind != "call":
        return values(1)
    func, args = node[1], node[2]
    if func in ("list", "set"):
        return st.lists(_values_of(args[0]), max_size=3)
    if func == "map":
        return st.dictionaries(st.text(alphabet="abc", min_size=1, max_size=3), _values_of(args[0]), max_size=3)
    if func == "tuple" and args and args[0][0] == "list":
        return st.tuples(*[_values_of(t) for t in args[0][1]]).map(list)
    if func == "optional":
        return _values_of(args[0])
    if func == "object" and args and args[0][0] == "obj":
        required: dict[str, st.SearchStrategy[Any]] = {}
        optional: dict[str, st.SearchStrategy[Any]] = {}
        for key_node, attr in args[0][1]:
            target = optional if attr[0] == "call" and attr[1] == "optional" else required
            target[str(key_node[1])] = _values_of(attr)
        return st.fixed_dictionaries(required, optional=optional)
    return values(1)


def values_of_type(type_expr: str | None) -> st.SearchStrategy[Any]:
    """Values that fit a Terraform type constraint (``any`` or no type: any YAML value)."""
    if not type_expr:
        return values(2)
    try:
        return _values_of(parse(type_expr))
    except NotEvaluable:
        return values(2)
