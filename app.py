"""Dual NST web app: repaint a photo in the style of one or two paintings.

The entry point Spaces and users run; the page itself is the :mod:`webui`
package. Run ``python app.py --help`` for the options.
"""

from webui.server import main

if __name__ == "__main__":
    main()
