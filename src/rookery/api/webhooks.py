"""The old import path of Magpie's module API: an alias of :mod:`rookery.compat.webhooks`.

``import rookery.api.webhooks`` yields the very module object ``rookery.compat.webhooks``, so
names, patches and the registered application are shared by both paths.
"""

from __future__ import annotations

import sys

from rookery.compat import webhooks as _compat
from rookery.compat.webhooks import *  # noqa: F403 (the same names, for readers and type checkers)

sys.modules[__name__] = _compat
