"""Reading Terraform configuration (not running it): variables, outputs, resources, providers, versions."""

from harness.terraform.module import ModuleCall, ModuleConfig, Output, ResourceBlock, Variable, load_module

__all__ = ["ModuleCall", "ModuleConfig", "Output", "ResourceBlock", "Variable", "load_module"]
