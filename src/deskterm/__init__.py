"""deskterm: a complete help desk that runs in the terminal."""

__version__ = "0.1.0"
