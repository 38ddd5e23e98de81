"""Classic mode: optimise the picture against VGG features (Gatys et al.).

``backbone`` loads the network, ``costs`` holds the three cost terms,
``optimiser`` the traced step, ``stages`` the coarse-to-fine plan and
``transfer`` the job that runs them and reports progress.
"""

from nst.classic.transfer import ClassicJob, stylize

__all__ = ["ClassicJob", "stylize"]
