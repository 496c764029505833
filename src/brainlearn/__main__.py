"""``python -m brainlearn`` is the ``brainlearn`` command."""

import sys

from .cli import main

sys.exit(main())
