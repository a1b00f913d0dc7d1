"""Plain-function modules behind app.py: rendering, handlers, run folders."""
