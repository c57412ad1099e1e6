"""Terraform workspace names (Atmos ``BuildTerraformWorkspace``, spec §7.1)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from harness.atmos.config import AtmosConfig
from harness.atmos.templates import TemplateError, render
from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.atmos.resolver import Entry

_TOKENS = ("namespace", "tenant", "environment", "stage", "region", "attributes")


def _pattern(pattern: str, entry: Entry, section: Mapping[str, Any], stack: str, stacks_view: bool) -> str:
    variables = section.get("vars") or {}
    values = {f"{{{t}}}": str(variables.get(t) or "") for t in _TOKENS}
    if isinstance(variables.get("attributes"), list):
        values["{attributes}"] = "-".join(str(a) for a in variables["attributes"])
    folder = str((section.get("metadata") or {}).get("component") or section.get("component") or entry.component)
    values.update(
        {
            "{component}": "" if stacks_view else entry.component,
            "{base-component}": folder,
            "{component-path}": folder,
            "{workspace}": stack,
            "{terraform_workspace}": stack,
        }
    )
    out = pattern
    for token, value in values.items():
        out = out.replace(token, value)
    return out


def terraform_workspace(
    config: AtmosConfig, entry: Entry, stack: str, section: Mapping[str, Any], *, stacks_view: bool = False
) -> str:
    """``<stack>`` for a component in its own folder, ``<stack>-<component>`` for a derived one.

    ``stacks_view``: the workspace ``describe stacks`` prints (spec §7.1 quirk): it never sets the
    base-component flag (so a derived component gets ``<stack>``), ``{component}`` in a pattern is empty,
    and a literal ``terraform_workspace`` beats a pattern or template.
    """
    if not config.workspaces_enabled or section.get("backend_type") == "http":
        return "default"
    metadata = section.get("metadata") or {}
    prefix = stack.replace("/", "-")
    template = metadata.get("terraform_workspace_template")
    pattern = metadata.get("terraform_workspace_pattern")
    literal = metadata.get("terraform_workspace")
    if stacks_view and isinstance(literal, str) and literal:
        workspace = literal
    elif isinstance(template, str) and template:
        try:
            workspace = render(template, section)
        except TemplateError as exc:
            raise ConfigError(f"metadata.terraform_workspace_template: {exc}", file=entry.manifest.path) from None
    elif isinstance(pattern, str) and pattern:
        workspace = _pattern(pattern, entry, section, stack, stacks_view)
    elif isinstance(literal, str) and literal:
        workspace = literal
    elif stacks_view or not has_base_component(entry.component, section):
        workspace = prefix
    else:
        workspace = f"{prefix}-{entry.component}"
    return workspace.replace("/", "-")


def has_base_component(component: str, section: Mapping[str, Any]) -> bool:
    """Atmos clears the base component when it equals the component's own name (``ProcessComponentMetadata``):
    the merged ``metadata.component`` (else the processed ``component``) must be set and differ from it."""
    meta_component = (section.get("metadata") or {}).get("component")
    base = meta_component if isinstance(meta_component, str) and meta_component else section.get("component")
    return isinstance(base, str) and bool(base) and base != component
