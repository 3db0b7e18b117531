"""Visitors' IP addresses as livechat stores them (LIVECHAT_ANONYMIZE_IP)."""

import ipaddress

from .conf import app_settings


def anonymize_ip(ip):
    """Zero the host part: the last octet of IPv4, the last 80 bits of IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return str(network.network_address)


def stored_ip(ip):
    """The IP to store for a visitor under LIVECHAT_ANONYMIZE_IP."""
    if not ip:
        return None
    return anonymize_ip(ip) if app_settings.ANONYMIZE_IP else ip
