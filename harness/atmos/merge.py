"""Atmos deep merge (``pkg/merge``): later inputs win, empty maps are no-ops, lists follow a strategy.

The merge never mutates its inputs and shares unchanged sub-trees with them, so parsed manifests can be
cached and merged thousands of times without copying.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.atmos.yamlio import AppendList
from harness.errors import ConfigError

STRATEGIES = ("replace", "append", "merge")


def check_strategy(strategy: str, *, file: str | None = None) -> str:
    if strategy not in STRATEGIES:
        raise ConfigError(
            f"invalid list_merge_strategy '{strategy}': use one of {', '.join(STRATEGIES)}", file=file
        )
    return strategy


def _merge_lists(dst: list[Any], src: list[Any], strategy: str) -> list[Any]:
    if isinstance(src, AppendList) or strategy == "append":
        return [*dst, *src]
    if strategy == "replace":
        return list(src)
    out = list(dst)
    for i, item in enumerate(src):
        if i < len(out):
            if isinstance(out[i], dict) and isinstance(item, dict):
                out[i] = merge_two(out[i], item, strategy)
        else:
            out.append(item)
    return out


def merge_two(dst: Mapping[str, Any], src: Mapping[str, Any], strategy: str = "replace") -> dict[str, Any]:
    if not src:
        return dst if isinstance(dst, dict) else dict(dst)
    out = dict(dst)
    common = out.keys() & src.keys()
    out.update(src)  # keeps the positions of existing keys and appends new ones in order, like the loop would
    for key in common:  # only keys in both need more than the source value
        value = src[key]
        current = dst[key]
        if isinstance(value, dict):
            if isinstance(current, dict):
                out[key] = merge_two(current, value, strategy) if value else current
        elif isinstance(value, list) and isinstance(current, list):
            out[key] = _merge_lists(current, value, strategy)
    if AppendList.created:
        for key, value in src.items():
            if isinstance(value, AppendList) and not (key in common and isinstance(dst[key], list)):
                out[key] = list(value)  # nothing to append to: a plain list
    return out


def deep_merge(inputs: Iterable[Mapping[str, Any] | None], strategy: str = "replace") -> dict[str, Any]:
    """Merge left to right; ``None`` and empty maps are skipped as Atmos does.

    The first non-empty input is copied by the first merge (or returned as a copy when it is alone), so
    nothing is copied twice.
    """
    result: Mapping[str, Any] | None = None
    merged = False
    for item in inputs:
        if item:
            if result is None:
                result = item
            else:
                result = merge_two(result, item, strategy)
                merged = True
    if result is None:
        return {}
    if merged and isinstance(result, dict):
        return result
    return dict(result)
