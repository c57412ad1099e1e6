"""Which items a run keeps and how xdist spreads them: ``--affected-since``, ``--shard`` and plan groups."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from harness.pytest_plugin.state import harness_session, item_key

#: Plan groups per xdist worker under ``--dist loadgroup``: enough to even out the load, few enough that
#: each batch stays large (and xdist's group scheduler, whose bookkeeping grows with the tests, stays cheap).
GROUPS_PER_WORKER = 4
#: Instances per plan group under ``--dist load``/``worksteal``, which hand a worker runs of consecutive tests.
CONSECUTIVE_GROUP = 8


def recorded_durations(config: pytest.Config) -> dict[str, float]:
    from harness.select import load_durations

    path = config.getoption("harness_durations_file")
    return load_durations(Path(path) if path else config.rootpath / ".harness-durations.json")


def plan_groups_for(config: pytest.Config, keys: list[str]) -> dict[str, str]:
    """Instance id -> plan group (``keys`` in test order); see ``HarnessSession.plan_groups``.

    Without xdist every kept instance is one group. Under ``--dist loadgroup`` the groups are balanced sets
    that the plugin marks as xdist groups, so each goes whole to one worker. Under ``--dist load`` and
    ``worksteal`` a worker receives runs of consecutive tests and the tests of an instance are consecutive
    (see ``instances_together``): a group is a few consecutive instances.
    """
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return dict.fromkeys(keys, "all")
    dist = controller_dist(config)
    if dist == "loadgroup":
        from harness.select import assign_shards

        workers = int(workerinput.get("workercount") or 1)
        shards = assign_shards(keys, GROUPS_PER_WORKER * workers, recorded_durations(config))
        return {key: f"harness-plans-{shard}" for key, shard in shards.items()}
    if dist in ("load", "worksteal"):
        return {key: f"harness-run-{n // CONSECUTIVE_GROUP}" for n, key in enumerate(keys)}
    return {key: key for key in keys}  # tests of one instance may run anywhere: plan one at a time


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Tell each xdist worker how the controller distributes tests (a worker's own ``--dist`` reads "no")."""
    node.workerinput["harness_dist"] = node.config.getoption("dist", None)


def controller_dist(config: pytest.Config) -> str | None:
    """On an xdist worker, the controller's ``--dist`` mode; None elsewhere."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    dist = workerinput.get("harness_dist")
    return str(dist) if dist else ("loadgroup" if getattr(config.option, "loadgroup", False) else None)


def instances_together(items: list[pytest.Item]) -> list[pytest.Item]:
    """The same items, each instance's tests moved together at its first test (everything else in order)."""
    first: dict[str, int] = {}
    order: list[tuple[int, int]] = []
    for index, item in enumerate(items):
        key, is_instance = item_key(item)
        order.append((first.setdefault(key, index) if is_instance else index, index))
    return [items[i] for _, i in sorted(order)]


def record_empty_on_purpose(reason: str) -> None:
    """Tell the caller (the harness's nox sessions) that no test is left because the selection says so,
    before ``-k``/``-m`` narrow it: a run emptied by ``-k`` alone is not empty on purpose."""
    target = os.environ.get("HARNESS_EMPTY_REASON_FILE")
    if target:
        Path(target).write_text(reason + "\n", encoding="utf-8")


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect: what the change reaches, not what the keyword left
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply --affected-since and --shard (in that order) by deselecting items."""
    keep = list(items)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    notes: list[str] = []
    since = config.getoption("harness_affected_since")
    if since:
        from harness.select import affected_instances

        harness = harness_session(config)
        off = (config.getoption("harness_cache") or "").lower() == "off"
        result = affected_instances(harness.resolver.config, since, allow_exec=harness.options.allow_exec,
                                    index="off" if off else None)
        if not result.decided:
            notes.append(f"harness: {result.note}")
        else:
            selected = []
            for item in keep:
                key, is_instance = item_key(item)
                if (key in result.instances) if is_instance else (result.harness_changed or result.stacks_changed):
                    selected.append(item)
            notes.append(f"harness: --affected-since {since}: {len(result.instances)} affected instance(s), "
                         f"{len(selected)}/{len(keep)} tests selected"
                         + ("; harness changed: its own tests run" if result.harness_changed else ""))
            for instance_id, reasons in sorted(result.instances.items()):
                notes.append(f"  {instance_id}: {', '.join(reasons)}")
            if not selected:
                record_empty_on_purpose(f"--affected-since {since}: the change reaches no test")
            keep = selected
    shard = config.getoption("harness_shard")
    if shard:
        from harness.select import assign_shards, parse_shard

        k, n = parse_shard(shard)
        durations = recorded_durations(config)
        shards = assign_shards([item_key(i)[0] for i in keep], n, durations)
        kept = [i for i in keep if shards[item_key(i)[0]] == k]
        notes.append(f"harness: shard {k}/{n}: {len(kept)}/{len(keep)} tests"
                     + (" (balanced by recorded durations)" if durations else ""))
        keep = kept
    dist_mode = controller_dist(config)
    if dist_mode in ("load", "worksteal"):
        keep = instances_together(keep)  # identical on every worker: xdist compares the collections
    instance_keys = list(dict.fromkeys(key for key, is_instance in map(item_key, keep) if is_instance))
    if instance_keys:
        groups = plan_groups_for(config, instance_keys)
        harness_session(config).plan_groups = groups
        if dist_mode == "loadgroup":
            # whole groups go to one worker, which plans each group in one batch when it starts on it
            for item in keep:
                key, is_instance = item_key(item)
                if is_instance:
                    item.add_marker(pytest.mark.xdist_group(groups[key]))
    if len(keep) != len(items):
        kept_items = set(keep)
        config.hook.pytest_deselected(items=[i for i in items if i not in kept_items])
    items[:] = keep
    if reporter is not None:
        for note in notes:
            reporter.write_line(note)
