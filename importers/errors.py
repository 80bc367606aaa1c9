"""The one base of the importer's refusals of bad input.

As Django's ``LayerMapError``: every problem of a file that the import reports instead of
storing it derives from ``ImportProblem``, so the service catches one class, not a tuple of
unrelated ones; its message names the problem. Problems of single objects (a broken geometry,
an identifier out of form) are not exceptions: they are rejections reported per object.
"""

from __future__ import annotations


class ImportProblem(Exception):
    """The file cannot be imported; nothing of it was stored. The message says why."""


class ImportFailed(ImportProblem):
    """A fatal problem found by the import service itself (the reader's have their own)."""


class AllRejected(ImportProblem):
    """Every object of the file was rejected: the run fails, its per-object issues are kept."""
