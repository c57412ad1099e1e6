"""Telling an emulator's missing API from any other terraform failure."""

from __future__ import annotations

from harness.deploy import emulator_gap

CE_500 = """
Error: creating Cost Explorer Anomaly Monitor (acme-core-ue1-log-archive-budgets-services): operation error \
Cost Explorer: CreateAnomalyMonitor, exceeded maximum number of attempts, 3, https response error StatusCode: 500, \
RequestID: , api error UnknownError: UnknownError

  with aws_ce_anomaly_monitor.services,
  on main.tf line 41, in resource "aws_ce_anomaly_monitor" "services":
"""


def test_a_500_from_the_emulator_names_the_service_and_action() -> None:
    assert emulator_gap(CE_500) == ("Cost Explorer CreateAnomalyMonitor: the emulator answers 500 Internal Server "
                                    "Error (not implemented)")


def test_a_not_implemented_message_is_kept_with_its_error_line() -> None:
    text = "│ Error: reading GuardDuty Detector Feature\n│ The UpdateDetector action has not been implemented\n"
    assert emulator_gap(text) == ("Error: reading GuardDuty Detector Feature The UpdateDetector action has not been "
                                  "implemented")


def test_other_failures_are_not_an_emulator_gap() -> None:
    assert emulator_gap("Error: creating EC2 VPC: InvalidParameterValue: invalid CIDR, StatusCode: 400") is None
    assert emulator_gap('Error: No value for required variable\n  on variables.tf line 1: variable "vpc_id"') is None
