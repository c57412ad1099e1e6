"""Contracts between stacks, components and consumers, checked offline (no engine beyond parsing)."""

from harness.contracts.checks import ContractFinding, check_contracts, dependency_cycles

__all__ = ["ContractFinding", "check_contracts", "dependency_cycles"]
