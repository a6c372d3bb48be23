"""Rookery: access management with reliable, templated webhooks."""

__version__ = "0.1.0"
