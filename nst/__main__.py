"""``python -m nst``: the ``dual-nst`` command, see :mod:`nst.cli`."""

from nst.cli import console

console()
