"""AWS access for integration tests: the emulator, per-account sessions, retries."""

from harness.aws.emulator import LOCALSTACK_PIP, Emulator, EmulatorKind
from harness.aws.retry import EventuallyTimeout, RetryCounter, eventually, retry_config
from harness.aws.sessions import AccountSession, SessionFactory, account_of, region_for, role_arn_for

__all__ = [
    "LOCALSTACK_PIP",
    "AccountSession",
    "Emulator",
    "EmulatorKind",
    "EventuallyTimeout",
    "RetryCounter",
    "SessionFactory",
    "account_of",
    "eventually",
    "region_for",
    "retry_config",
    "role_arn_for",
]
