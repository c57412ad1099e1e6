"""guardduty: the detector is enabled with the stack's publishing frequency and protection plans."""

from __future__ import annotations

from typing import Any

from harness.verify.context import Checker, Undetermined, safe_call

COMPONENT = "guardduty"


def validate(ctx: Checker) -> None:
    gd = ctx.client("guardduty")
    known_id = ctx.output("detector_id")

    def find() -> str | None:
        if known_id:
            found = safe_call(lambda: gd.get_detector(DetectorId=known_id), missing=None)
            return str(known_id) if found else None
        ids: list[str] = []
        for page in gd.get_paginator("list_detectors").paginate():
            ids.extend(page.get("DetectorIds") or [])
        if len(ids) > 1:
            raise Undetermined(f"{len(ids)} detectors in {ctx.region}: {', '.join(ids)}")
        return ids[0] if ids else None

    detector_id = ctx.exists("guardduty.detector", f"a detector in {ctx.region}", find, label=lambda d: d)
    need = "guardduty.detector"

    def now() -> dict[str, Any]:
        return ctx.read("detector", lambda: dict(gd.get_detector(DetectorId=detector_id)))

    ctx.check("guardduty.enabled", "ENABLED", lambda: now().get("Status"), needs=need)
    ctx.check("guardduty.finding_frequency", lambda: ctx.var("finding_publishing_frequency"),
              lambda: now().get("FindingPublishingFrequency"), needs=need)

    def expected_features() -> dict[str, str]:
        return {str(k): "ENABLED" if v else "DISABLED" for k, v in (ctx.var("features") or {}).items()}

    def features() -> dict[str, str | None]:
        detector = now()
        if "Features" not in detector:
            raise Undetermined("GetDetector returned no Features (detector features are not served here)")
        found = {str(f.get("Name")): str(f.get("Status")) for f in detector.get("Features") or []}
        return {name: found.get(name) for name in expected_features()}

    ctx.check("guardduty.features", expected_features, features, needs=need)

    def runtime() -> dict[str, str | None]:
        found = {}
        for feature in now().get("Features") or []:
            if feature.get("Name") == "RUNTIME_MONITORING":
                found = {str(c.get("Name")): str(c.get("Status")) for c in feature.get("AdditionalConfiguration") or []}
        return {name: found.get(name) for name in expected_runtime()}

    def expected_runtime() -> dict[str, str]:
        if not (ctx.var("features") or {}).get("RUNTIME_MONITORING"):
            return {}
        wanted = ctx.var("runtime_monitoring_additional_configuration") or {}
        return {str(k): "ENABLED" if v else "DISABLED" for k, v in wanted.items()}

    ctx.check("guardduty.runtime_monitoring", expected_runtime, runtime, needs=need)
