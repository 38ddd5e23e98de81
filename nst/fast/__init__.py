"""Fast mode: Magenta arbitrary style transfer in one network pass (Ghiasi et al. 2017).

A style predictor turns a style image into an embedding and a transfer
network paints the content with it, at any size and aspect ratio.
``sources`` finds and loads the models, ``tflite`` and ``savedmodel`` run
them, ``resizable`` lets a converted network run at any size, ``pixels``
holds the shared pixel plumbing, ``upsample`` takes the painting to the
output size guided by the photo, ``brush`` sets the stroke size (a bold
brush paints twice), ``memory`` refuses a job that would not fit, and
``transfer`` is the job itself.
"""

from nst.fast.brush import working_size
from nst.fast.network import FastModel
from nst.fast.sources import fast_model_files, fetch_fast_model, load_fast_model
from nst.fast.transfer import render_fast, stylize_fast

__all__ = [
    "FastModel",
    "fast_model_files",
    "fetch_fast_model",
    "load_fast_model",
    "render_fast",
    "stylize_fast",
    "working_size",
]
