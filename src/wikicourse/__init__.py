"""wikicourse: statistics of Wikimedia education programs, kept in timeslices."""

__version__ = "0.1.0"
