"""Dual NST: neural style transfer with two styles at once.

Classic mode optimises an image against VGG features (Gatys et al.); fast mode
runs Magenta's arbitrary stylisation network (Ghiasi et al.) in one pass.
"""

import os

from nst import config

# Keras keeps its config and downloads under KERAS_HOME (default ~/.keras) and reads
# the variable once, when it is imported: point it into our cache unless the user chose.
os.environ.setdefault(config.KERAS_HOME.name, str(config.keras_home()))
