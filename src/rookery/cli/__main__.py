"""``python -m rookery.cli``."""

import sys

from rookery.cli.main import main

sys.exit(main())
