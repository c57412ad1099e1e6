"""Waivers: time-boxed, documented exemptions from a policy, declared in stack settings.

Schema::

    settings:
      harness:
        waivers:
          - policy: network.no-public-ingress        # policy id (or glob)
            resources: aws_security_group_rule.ssh*  # address glob, or a list of globs
            component: bastion                       # optional component glob (default: every component)
            reason: Bastion reachable from the office VPN until the SSM rollout
            expires: 2026-01-31                      # YAML date or "YYYY-MM-DD"; valid through that day
            ticket: SEC-12                           # optional

A waiver turns a matching failure (or undetermined finding) into ``waived``. After its
expiry it waives nothing and is itself reported as a failure. A waiver that matches no
finding is stale. Waivers are settings, so Atmos inheritance and deep merge apply
(lists are replaced by the more specific manifest unless the stack uses ``!append``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.policy.model import PolicyResult
from harness.policy.registry import Registry
from harness.policy.settings import matches_any_policy

KEYS = ("policy", "resources", "component", "reason", "expires", "ticket")
EXPIRED_POLICY = "waiver.expired"


@dataclass(frozen=True)
class Waiver:
    """One parsed waiver of one instance's settings (``index`` is its position in the list)."""

    policy: str
    resources: tuple[str, ...]
    reason: str
    expires: dt.date
    stack: str
    ticket: str | None = None
    component: str | None = None
    index: int = 0

    def expired(self, today: dt.date) -> bool:
        """True from the day after ``expires``."""
        return today > self.expires

    def applies_to(self, component: str) -> bool:
        """In scope for this component."""
        return self.component is None or fnmatch.fnmatchcase(component, self.component)

    def matches(self, policy_id: str, address: str | None) -> bool:
        """Covers a finding of ``policy_id`` at ``address`` (plan-level findings have no address)."""
        if not fnmatch.fnmatchcase(policy_id, self.policy):
            return False
        target = address or ""
        return any(fnmatch.fnmatchcase(target, glob) for glob in self.resources)

    @property
    def ticket_text(self) -> str:
        """`` (ticket SEC-12)`` or nothing."""
        return f" (ticket {self.ticket})" if self.ticket else ""

    def describe(self) -> str:
        """One line for reports."""
        return (f"waiver #{self.index} for {self.policy} on {', '.join(self.resources)} "
                f"(expires {self.expires.isoformat()}){self.ticket_text}: {self.reason}")

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {"policy": self.policy, "resources": list(self.resources), "component": self.component,
                "reason": self.reason, "expires": self.expires.isoformat(), "ticket": self.ticket,
                "stack": self.stack, "index": self.index}


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_waivers(raw: Any, *, stack: str, registry: Registry | None = None) -> tuple[list[Waiver], list[str]]:
    """Parse ``settings.harness.waivers``: the valid waivers and one error per malformed entry.

    Errors name the stack and the waiver's position: ``plat-ue1-prod: waiver #2 (policy x): no reason``.
    """
    if raw is None:
        return [], []
    if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
        return [], [f"{stack}: settings.harness.waivers must be a list of waivers, got {type(raw).__name__}"]
    waivers: list[Waiver] = []
    errors: list[str] = []
    for index, entry in enumerate(raw):
        label = f"{stack}: waiver #{index}"
        if not isinstance(entry, Mapping):
            errors.append(f"{label} must be a mapping with policy, resources, reason, expires")
            continue
        problems: list[str] = []
        policy = _text(entry, "policy")
        if policy:
            label += f" ({policy})"
        unknown = sorted(set(entry) - set(KEYS))
        if unknown:
            problems.append(f"unknown key(s) {', '.join(map(str, unknown))} (allowed: {', '.join(KEYS)})")
        if not policy:
            problems.append("no policy")
        elif registry is not None and not matches_any_policy(policy, registry):
            problems.append(f"policy {policy!r} matches no known policy")
        resources_raw = entry.get("resources")
        resources: tuple[str, ...] = ()
        if isinstance(resources_raw, str) and resources_raw.strip():
            resources = (resources_raw.strip(),)
        elif isinstance(resources_raw, list) and resources_raw and all(isinstance(r, str) and r for r in resources_raw):
            resources = tuple(resources_raw)
        else:
            problems.append("no resources (an address glob or a list of globs)")
        reason = _text(entry, "reason")
        if not reason:
            problems.append("no reason")
        expires_raw = entry.get("expires")
        expires = _date(expires_raw)
        if expires_raw is None:
            problems.append("no expires date")
        elif expires is None:
            problems.append(f"expires {expires_raw!r} is not a date (YYYY-MM-DD)")
        if problems:
            errors.append(f"{label}: {'; '.join(problems)}")
            continue
        assert policy is not None and reason is not None and expires is not None
        waivers.append(Waiver(policy=policy, resources=resources, reason=reason, expires=expires, stack=stack,
                              ticket=_text(entry, "ticket"), component=_text(entry, "component"), index=index))
    return waivers, errors


def waivers_of(settings: Mapping[str, Any], *, stack: str,
               registry: Registry | None = None) -> tuple[list[Waiver], list[str]]:
    """The waivers in an instance's ``settings`` (``settings.harness.waivers``)."""
    harness = settings.get("harness")
    raw = harness.get("waivers") if isinstance(harness, Mapping) else None
    return parse_waivers(raw, stack=stack, registry=registry)


def stale_waivers(results: Iterable[PolicyResult]) -> list[Waiver]:
    """Waivers stale in every evaluated instance of their stack (for stack-wide waivers without ``component``).

    ``PolicyResult.stale`` is per instance; a waiver declared for the whole stack is only
    truly stale when no instance of that stack used it.
    """
    seen: dict[tuple[str, int], Waiver] = {}
    used: set[tuple[str, int]] = set()
    for result in results:
        for waiver in result.stale:
            seen.setdefault((waiver.stack, waiver.index), waiver)
        for finding in result.findings:
            if finding.waiver is not None:
                used.add((finding.waiver.stack, finding.waiver.index))
    return [w for key, w in sorted(seen.items()) if key not in used]


def expiry_message(waiver: Waiver, policy_id: str, address: str | None) -> str:
    """``waiver for <policy> on <address> expired on <date> (ticket X)``."""
    return (f"waiver for {policy_id} on {address or '(plan)'} expired on {waiver.expires.isoformat()}"
            f"{waiver.ticket_text}")
