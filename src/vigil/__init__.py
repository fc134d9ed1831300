"""Vigil: an observability backend that speaks the Sensu Go REST API v2."""

__version__ = "0.1.0"
# The Sensu backend release whose API we reproduce; clients (Ansible) parse it as x.y.z.
SENSU_COMPAT_VERSION = "6.12.0"

__all__ = ["SENSU_COMPAT_VERSION", "__version__"]
