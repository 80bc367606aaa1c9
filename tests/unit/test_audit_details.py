"""Every audit detail the code writes reads in Polish (issue #18).

The code writes a detail as ``Note(gettext_noop("English template"), **params)``: the log keeps
the template and its parameters and the audit page translates them when it shows the event.
This test walks the source: every call of ``audit`` (and of each function that passes its own
``detail`` on to it, found the same way) must give a ``Note`` with a literal template (or
nothing), never an f-string or a plain text that would stay English; and every template met,
also those nested as parameters, must have a Polish translation that uses the same parameters.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from gis_app.audit.log import Note, render_note
from tests.conftest import REPO

SOURCE_DIRS = ("gis_app", "layers", "importers", "map_ui", "registers")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _sources() -> list[Path]:
    return sorted(p for d in SOURCE_DIRS for p in (REPO / d).rglob("*.py")
                  if "migrations" not in p.parts)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _params(fn: ast.FunctionDef) -> list[str]:
    return [a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]]


class Walk:
    """The parsed sources, the audit writers among their functions, and what they are given."""

    def __init__(self) -> None:
        texts = {p: p.read_text() for p in _sources()}
        # only modules that write to the log or hold notes (every writer's name has "audit")
        self.trees = {p: ast.parse(t, str(p)) for p, t in texts.items()
                      if "audit" in t or "Note(" in t}
        # writer name -> positional index of its ``detail`` (None: keyword-only)
        self.writers: dict[str, int | None] = {"audit": None, "AuditItem": 1}
        self._find_wrappers()

    def _functions(self):
        for path, tree in self.trees.items():
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield path, node

    def _find_wrappers(self) -> None:
        """A function with a ``detail`` parameter that it hands to a writer is a writer too."""
        grew = True
        while grew:
            grew = False
            for _path, fn in self._functions():
                if fn.name in self.writers or "detail" not in _params(fn):
                    continue
                for call in ast.walk(fn):
                    if (isinstance(call, ast.Call) and _name(call.func) in self.writers
                            and any(isinstance(n, ast.Name) and n.id == "detail"
                                    for n in ast.walk(call))):
                        names = _params(fn)
                        if names and names[0] in ("self", "cls"):
                            names = names[1:]
                        index = names.index("detail")
                        kwonly = [a.arg for a in fn.args.kwonlyargs]
                        self.writers[fn.name] = None if "detail" in kwonly else index
                        grew = True
                        break

    def detail_arguments(self):
        """(where, expression, enclosing function) of every detail given to a writer."""
        for path, tree in self.trees.items():
            parents = {}
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    parents[child] = node
            for call in ast.walk(tree):
                if not isinstance(call, ast.Call) or _name(call.func) not in self.writers:
                    continue
                given = next((k.value for k in call.keywords if k.arg == "detail"), None)
                index = self.writers[_name(call.func)]
                if given is None and index is not None and len(call.args) > index:
                    given = call.args[index]
                fn = parents.get(call)
                while fn is not None and not isinstance(fn, ast.FunctionDef):
                    fn = parents.get(fn)
                where = f"{path.relative_to(REPO)}:{call.lineno}"
                yield where, given, fn, tree

    def note_calls(self):
        for path, tree in self.trees.items():
            for call in ast.walk(tree):
                if isinstance(call, ast.Call) and _name(call.func) == "Note":
                    yield f"{path.relative_to(REPO)}:{call.lineno}", call


@pytest.fixture(scope="module")
def walk() -> Walk:
    return Walk()


def _module_constant(tree: ast.Module, name: str) -> ast.expr | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
    return None


def _local_function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name),
                None)


def _problem(expr: ast.expr | None, fn: ast.FunctionDef | None, tree: ast.Module,
             writers: dict) -> str:
    """Why ``expr`` is not a translatable detail ("" when it is)."""
    if expr is None or (isinstance(expr, ast.Constant) and expr.value in ("", None)):
        return ""
    if isinstance(expr, ast.Call) and _name(expr.func) == "Note":
        return ""
    if isinstance(expr, ast.IfExp):
        return _problem(expr.body, fn, tree, writers) or _problem(expr.orelse, fn, tree,
                                                                  writers)
    if isinstance(expr, ast.BoolOp):
        return next((p for v in expr.values if (p := _problem(v, fn, tree, writers))), "")
    if isinstance(expr, ast.Name):
        if fn is not None and expr.id in _params(fn) and fn.name in writers:
            return ""  # handed on: the writer's own callers are checked
        constant = _module_constant(tree, expr.id)
        if constant is not None:
            return _problem(constant, None, tree, writers)
        if fn is not None:  # a local variable: every value assigned to it
            values = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign)
                      and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)]
            if values:
                return next((p for v in values if (p := _problem(v, fn, tree, writers))), "")
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        helper = _local_function(tree, expr.func.id)
        if helper is not None:
            returns = [n.value for n in ast.walk(helper) if isinstance(n, ast.Return)]
            if returns:
                return next((p for v in returns if (p := _problem(v, helper, tree, writers))),
                            "")
    return f"not a Note: {ast.unparse(expr)[:80]}"


def test_every_audit_detail_is_a_translatable_note(walk):
    assert {"audit_change", "_audit_read", "audit_reads"} <= set(walk.writers), walk.writers
    sites = list(walk.detail_arguments())
    assert len(sites) > 60, "suspiciously few audit calls found"
    problems = [f"{where}: {p}" for where, given, fn, tree in sites
                if (p := _problem(given, fn, tree, walk.writers))]
    assert not problems, "audit details that would stay English:\n" + "\n".join(problems)


def test_every_note_template_has_polish_with_the_same_parameters(walk):
    templates: dict[str, str] = {}
    problems = []
    for where, call in walk.note_calls():
        first = call.args[0] if call.args else None
        if isinstance(first, ast.Call) and _name(first.func) == "gettext_noop" and \
                first.args and isinstance(first.args[0], ast.Constant):
            templates[first.args[0].value] = where
        elif "tests" not in where and "gis_app/audit/log.py" not in where:
            problems.append(f"{where}: template not marked with gettext_noop("
                            f"\"literal\"): {ast.unparse(call)[:80]}")
    assert len(templates) > 50, "suspiciously few audit templates found"
    with translation.override("pl"):
        for msgid, where in templates.items():
            polish = translation.gettext(msgid)
            if polish == msgid:
                problems.append(f"{where}: no Polish for {msgid!r}")
            elif sorted(PLACEHOLDER.findall(polish)) != sorted(PLACEHOLDER.findall(msgid)):
                problems.append(f"{where}: Polish {polish!r} has other parameters than "
                                f"{msgid!r}")
    assert not problems, "\n".join(problems)


def test_a_note_renders_in_english_and_in_polish_with_its_parameters():
    from datetime import date
    from decimal import Decimal

    from gis_app.audit_display import detail_text
    from registers.payments.models import Charge

    note = Note("overpayment credited (art. 76 § 1 o.p.) against charges due by %(day)s: "
                "%(charges)s, %(amount)s zł", day=date(2026, 3, 15), charges=2,
                amount=Decimal("1234.50"))
    assert str(note) == ("overpayment credited (art. 76 § 1 o.p.) against charges due by "
                         "2026-03-15: 2, 1234.50 zł")
    with translation.override("pl"):
        shown = detail_text(str(note), note.as_json())
    assert shown.startswith("nadpłata zaliczona") and "15.03.2026" in shown
    assert "1\xa0234,50 zł" in shown
    # a choice's label is kept by its msgid and shown translated
    labelled = Note("%(kind)s: file %(name)s (%(size)s B)", kind=Charge.TaxKind.PROPERTY.label,
                    name="a.gml", size=10)
    assert str(labelled) == "property tax: file a.gml (10 B)"
    with translation.override("pl"):
        assert detail_text("", labelled.as_json()) == "podatek od nieruchomości: plik a.gml (10 B)"
    # a translation that does not fit its parameters falls back to English, never a 500
    assert render_note({"t": "x %(a)s", "p": {"a": 1}}, translate=lambda s: "y %(b)s") == "x 1"


def test_a_notes_free_text_is_cut_like_the_detail():
    from gis_app.audit.log import DETAIL_MAX

    note = Note("query %(query)s", query="q=" + "x" * 10_000)
    assert len(note.as_json()["p"]["query"]) == DETAIL_MAX
