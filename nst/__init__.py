"""Dual NST: neural style transfer with two styles at once.

Classic mode optimises an image against VGG features (Gatys et al.); fast mode
runs Magenta's arbitrary stylisation network (Ghiasi et al.) in one pass.
"""
