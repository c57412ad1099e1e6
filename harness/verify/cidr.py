"""Terraform's ``cidrsubnet`` in Python, so validators compute subnet CIDRs exactly as the component does."""

from __future__ import annotations

import ipaddress

from harness.errors import HarnessError


def cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    """``cidrsubnet(prefix, newbits, netnum)``: the ``netnum``-th subnet with ``newbits`` more prefix bits."""
    network = ipaddress.ip_network(prefix, strict=False)
    new_prefix = network.prefixlen + int(newbits)
    if new_prefix > network.max_prefixlen:
        raise HarnessError(f"cidrsubnet({prefix}, {newbits}, {netnum}): prefix /{new_prefix} is too long")
    if not 0 <= int(netnum) < 2 ** int(newbits):
        raise HarnessError(f"cidrsubnet({prefix}, {newbits}, {netnum}): netnum must be below {2 ** int(newbits)}")
    size = 2 ** (network.max_prefixlen - new_prefix)
    address = int(network.network_address) + int(netnum) * size
    return str(ipaddress.ip_network((address, new_prefix)))
