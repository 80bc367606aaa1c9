"""Safe opening of XML: no DTD, no entities, no network, no huge trees.

EGiB and INSPIRE files never carry a DTD, so any ``<!DOCTYPE`` (the vehicle of XXE and of
entity-expansion bombs) refuses the file before the parser sees it; the parser is also configured
to resolve nothing, as a second wall.
"""

from __future__ import annotations

import re
from pathlib import Path

from importers.errors import ImportProblem

_PROLOG_LIMIT = 4 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXMLError(ImportProblem, ValueError):
    """The file declares a DTD or entities: refused without being parsed."""


class NotXMLError(ImportProblem, ValueError):
    """The file is not XML at all, or is malformed; the message names line and column."""


def check_prolog(path: Path) -> None:
    """Refuse a DTD anywhere before the root element (comments and PIs may precede it)."""
    with open(path, "rb") as fh:
        head = fh.read(_PROLOG_LIMIT)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    pos = 0
    n = len(head)
    while pos < n:
        lt = head.find(b"<", pos)
        if lt < 0:
            break
        if head.startswith(b"<?", lt):
            end = head.find(b"?>", lt)
            pos = (end + 2) if end >= 0 else n
        elif head.startswith(b"<!--", lt):
            end = head.find(b"-->", lt)
            pos = (end + 3) if end >= 0 else n
        elif _DOCTYPE.match(head, lt):
            line = head.count(b"\n", 0, lt) + 1
            raise UnsafeXMLError(
                f"the file declares a DTD or entities (line {line}); cadastral GML never does, "
                "so it is refused unread (XXE / entity-expansion protection)")
        else:
            break  # the root element: no DTD can follow


def parser_options() -> dict[str, bool]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }
