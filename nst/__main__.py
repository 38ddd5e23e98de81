"""``python -m nst``: see :mod:`nst.cli`."""

import sys

from nst.cli import main

sys.exit(main())
