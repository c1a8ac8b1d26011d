"""Errors that refuse a run before any work, each with one line saying what to change."""

from __future__ import annotations


class RunRefused(ValueError):
    """A run that must not start: wrong option values, or an output that is taken.

    The message is one line for the user; the command line prints it without a traceback
    and exits with status 2.
    """
