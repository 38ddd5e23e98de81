"""Classic mode: optimise the picture against VGG features (Gatys et al.).

``backbone`` loads the network in the ``precision`` the CPU suits,
``costs`` holds the cost terms and the objective, ``evaluator`` their traced
gradient, ``optimisers`` Adam and L-BFGS over it, ``stages`` the
coarse-to-fine plan and ``transfer`` the job that runs them and reports
progress.
"""

from nst.classic.transfer import ClassicJob, stylize

__all__ = ["ClassicJob", "stylize"]
