"""The Dual NST page: a Gradio app over :mod:`nst`, one module per concern.

``server`` reads the launch flags (before anything heavy is imported) and
serves; ``layout`` draws the page and ``wiring`` connects its events;
``running`` hands a job to the line for a visitor and ``handlers`` shows its
stream on the page, ``api`` as the plain values of the ``/classic`` and
``/fast`` endpoints (also the MCP tools); ``presenters`` draws one moment of
a job; ``controls`` makes a control from a parameter's declaration;
``uploads`` and ``limits`` check what arrives; ``stops`` keeps each
visitor's Stop; ``host`` the host's caps; ``gallery`` the styles and
examples; ``theme`` the look.
"""

TITLE = "Dual NST"
DESCRIPTION = (
    "Repaint a photo in the style of one or two paintings: "
    "**Classic** refines it step by step, **Fast** answers in one pass."
)
