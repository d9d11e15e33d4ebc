"""khidma: a low-code forms and workflow server."""

__version__ = "0.1.0"
