"""One masking function for everything the harness prints or writes: test output, failure sections, reports.

Three things are masked:

- ``Sensitive`` values of the plan model (Terraform's own sensitivity): ``(sensitive value)``;
- every secret string the run has wrapped (``harness.plan.sensitive.registered_secrets``), wherever it
  shows up in text: a failing assertion's source line, a value printed from the stack: ``(sensitive value)``;
- Atmos's own masking settings in ``atmos.yaml``: ``settings.terminal.mask.literals`` (exact strings) and
  ``settings.terminal.mask.patterns`` (regular expressions), replaced by ``settings.terminal.mask.replacement``
  (Atmos's default ``<MASKED>``). ``enabled: false`` or ``ATMOS_TERMINAL_MASK_ENABLED=false`` turns those off,
  as in Atmos; Terraform's sensitivity stays masked regardless.

A literal is also masked in the forms a serializer gives it (JSON-escaped, HTML-escaped), as Atmos does.
``harness describe`` output is not masked: it is what ``atmos describe`` prints, which Atmos's goldens show
unmasked.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError
from harness.plan.model import Unknown
from harness.plan.sensitive import SENSITIVE_TEXT, Sensitive, registered_secrets

DEFAULT_REPLACEMENT = "<MASKED>"
ENABLED_ENV = "ATMOS_TERMINAL_MASK_ENABLED"


@dataclass(frozen=True)
class MaskRules:
    """Atmos's ``settings.terminal.mask``: literals and patterns to hide, and what replaces them."""

    literals: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    replacement: str = DEFAULT_REPLACEMENT
    enabled: bool = True

    def merged(self, other: MaskRules) -> MaskRules:
        """Both sets of literals and patterns (the later replacement and switch win)."""
        return MaskRules(tuple(dict.fromkeys((*self.literals, *other.literals))),
                         tuple(dict.fromkeys((*self.patterns, *other.patterns))), other.replacement, other.enabled)


def _falsy(value: Any) -> bool:
    return str(value).strip().lower() in ("false", "0", "no", "off")


def rules_from_settings(settings: Any, *, source: str = "atmos.yaml",
                        environ: Mapping[str, str] | None = None) -> MaskRules:
    """Rules from the ``settings`` section of ``atmos.yaml`` (a bad pattern is a ConfigError naming it)."""
    env = os.environ if environ is None else environ
    mask = ((settings or {}).get("terminal") or {}).get("mask") if isinstance(settings, Mapping) else None
    mask = mask if isinstance(mask, Mapping) else {}
    enabled = not _falsy(mask.get("enabled", True)) and not _falsy(env.get(ENABLED_ENV, "true"))
    literals = tuple(str(v) for v in (mask.get("literals") or []) if v not in (None, ""))
    patterns = []
    for text in mask.get("patterns") or []:
        try:
            patterns.append(re.compile(str(text)))
        except re.error as exc:
            raise ConfigError(f"settings.terminal.mask.patterns: invalid regular expression {text!r}: {exc}",
                              file=source) from None
    replacement = str(mask.get("replacement") or DEFAULT_REPLACEMENT)
    return MaskRules(literals, tuple(patterns), replacement, enabled)


def rules_from_config(config: Any) -> MaskRules:
    """Rules of a loaded ``AtmosConfig`` (anything with ``raw`` and ``config_file``)."""
    raw = getattr(config, "raw", None) or {}
    source = str(getattr(config, "config_file", None) or "atmos.yaml")
    return rules_from_settings(raw.get("settings") if isinstance(raw, Mapping) else None, source=source)


_ACTIVE: list[MaskRules] = [MaskRules()]
_LOCK = threading.Lock()


def configure(rules: MaskRules) -> None:
    """Add a repository's rules to the ones this process applies (a run may load atmos.yaml more than once)."""
    with _LOCK:
        _ACTIVE[0] = _ACTIVE[0].merged(rules)


def configure_from(config: Any) -> None:
    """``configure(rules_from_config(config))``, for the places that load atmos.yaml."""
    configure(rules_from_config(config))


def active_rules() -> MaskRules:
    return _ACTIVE[0]


def reset() -> None:
    """Forget configured rules (tests)."""
    with _LOCK:
        _ACTIVE[0] = MaskRules()


def _variants(literal: str) -> list[str]:
    """The literal as text, inside JSON strings and inside HTML."""
    forms = [literal, json.dumps(literal)[1:-1], html.escape(literal), html.escape(literal, quote=False)]
    return list(dict.fromkeys(f for f in forms if f))


def _replace_all(text: str, literals: Iterable[str], replacement: str) -> str:
    for literal in sorted(set(literals), key=len, reverse=True):  # longest first: no half-masked overlaps
        for form in _variants(literal):
            if form in text:
                text = text.replace(form, replacement)
    return text


def mask_text(text: str, rules: MaskRules | None = None) -> str:
    """``text`` with every registered secret, Atmos literal and Atmos pattern masked."""
    if not text:
        return text
    active = rules or active_rules()
    text = _replace_all(text, registered_secrets(), SENSITIVE_TEXT)
    if active.enabled:
        text = _replace_all(text, active.literals, active.replacement)
        for pattern in active.patterns:
            text = pattern.sub(lambda _: active.replacement, text)
    return text


def mask(value: Any, rules: MaskRules | None = None) -> Any:
    """A JSON-able copy of ``value`` with every secret masked: the one function output goes through.

    Strings are masked as text; ``Sensitive`` becomes ``(sensitive value)``; ``Unknown`` its JSON marker;
    mappings (keys too), lists and tuples are copied; anything else is kept as it is.
    """
    if isinstance(value, Sensitive):
        return SENSITIVE_TEXT
    if isinstance(value, str):
        return mask_text(value, rules)
    if isinstance(value, Unknown):
        return value.to_json()
    if isinstance(value, Mapping):
        return {mask_text(str(k), rules): mask(v, rules) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v, rules) for v in value]
    return value


def needs_masking(text: str, rules: MaskRules | None = None) -> bool:
    """Whether ``mask_text`` would change ``text``."""
    return mask_text(text, rules) != text


class MaskedRepr:
    """A failure's text after masking, standing in for pytest's structured ``longrepr``.

    It has what pytest's terminal, JUnit XML and xdist read of a longrepr: ``toterminal``, ``str`` and
    ``reprcrash.message`` (the one-line reason).
    """

    def __init__(self, text: str, crash: Any) -> None:
        self.text = text
        self.reprcrash = None
        if crash is not None:
            self.reprcrash = _Crash(str(getattr(crash, "path", "")), getattr(crash, "lineno", None),
                                    mask_text(str(getattr(crash, "message", ""))))

    def toterminal(self, out: Any) -> None:
        for line in self.text.splitlines():
            out.line(line)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Crash:
    path: str
    lineno: int | None
    message: str


def mask_test_report(report: Any) -> None:
    """Mask one pytest test report in place (duck-typed): failure text, captured sections, user properties.

    Called from the plugin's ``pytest_runtest_makereport`` on the process that ran the test (an xdist worker
    knows the secrets its plans held), so the terminal, ``--junitxml``, xdist and the harness report all
    receive the masked report.
    """
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], mask_text(str(longrepr[2])))
    elif longrepr is not None:
        text = str(getattr(report, "longreprtext", "") or longrepr)
        masked = mask_text(text)
        if masked != text:
            report.longrepr = MaskedRepr(masked, getattr(longrepr, "reprcrash", None))
    sections = getattr(report, "sections", None)
    if sections:
        report.sections = [(title, mask_text(str(content))) for title, content in sections]
    properties = getattr(report, "user_properties", None)
    if properties:
        report.user_properties = [(name, mask(value)) for name, value in properties]


class MaskingStream:
    """A text stream that masks what it is given before passing it on: output a test prints while pytest's
    capture is off (``-s``), which no test report carries.

    A line is held until its newline so that a secret written in pieces is still seen whole; ``flush`` and
    anything without a newline at the end pass what is held.
    """

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self._held = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            data = self._held + text
            cut = data.rfind("\n") + 1
            self._held = data[cut:]
            if cut:
                self.wrapped.write(mask_text(data[:cut]))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._held:
                self.wrapped.write(mask_text(self._held))
                self._held = ""
        self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno, buffer: the wrapped stream's
        return getattr(self.wrapped, name)


class MaskingLogFilter:
    """A ``logging`` filter that masks a record's message (live logs, log files): a value a test logs."""

    def filter(self, record: Any) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True
