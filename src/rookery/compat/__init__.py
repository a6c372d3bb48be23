"""Magpie's module API, kept apart from Rookery's own layers.

``rookery.compat.webhooks`` carries ``magpie.api.webhooks``'s names; the old path
``rookery.api.webhooks`` is the same module object (a thin alias kept for existing scripts).
"""
