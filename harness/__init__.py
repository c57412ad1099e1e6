"""atmos-harness: a test harness for Atmos-managed, multi-account AWS Terraform repositories."""

__version__ = "0.1.0"
