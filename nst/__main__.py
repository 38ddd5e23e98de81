"""``python -m nst``: see :mod:`nst.cli`."""

import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

from nst.cli import main  # noqa: E402  (after quietening TensorFlow's start-up log)

sys.exit(main())
