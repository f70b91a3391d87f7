"""pi-pause: an offline voice companion that helps a couple take a calm pause."""

__version__ = "0.1.0"
