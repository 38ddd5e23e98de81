"""Fast mode: Magenta arbitrary style transfer in one network pass (Ghiasi et al. 2017).

A style predictor turns a style image into an embedding and a transfer
network paints the content with it, at any size and aspect ratio.
"""

from nst.fast.model import FastModel
from nst.fast.run import max_working_size, render_fast, stylize_fast
from nst.fast.sources import fast_model_files, fetch_fast_model, load_fast_model

__all__ = [
    "FastModel",
    "fast_model_files",
    "fetch_fast_model",
    "load_fast_model",
    "max_working_size",
    "render_fast",
    "stylize_fast",
]
