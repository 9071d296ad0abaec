"""drawcore's version: recorded in every draw record, so it lives below everything that records."""

__version__ = "0.1.0"
