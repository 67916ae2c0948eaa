"""The feedback page a student gets back: a summary first, and math that renders without the network.

- ``FeedbackSummary`` (a preprocessor, after nbgrader's GetGrades) collects one row per graded
  cell: the exercise's name, its points, passed or failed, and the failure message (the
  ``ErrorName: message`` that HideHiddenTests leaves; hidden test code is never in it). The
  template ``autograder/templates/feedback_summary`` shows them as a table above the notebook.
- ``markdown2html`` (the template's markdown filter) writes the math of the markdown cells as
  MathML when the feedback is written (latex2mathml): every current browser shows it, offline,
  with no MathJax from a CDN.
"""
import re
from html import escape
from pathlib import Path

from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "feedback_summary"
CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])", re.DOTALL)
PLACEHOLDER = "MATHPLACEHOLDER{}X"


def _mathml(tex, display):
    from latex2mathml.converter import convert  # a second to import: only when feedback is written
    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 (a formula latex2mathml cannot read stays as its source)
        return f"<code>{escape(tex)}</code>"


def markdown2html(source):
    """Markdown to HTML with $...$ and $$...$$ as MathML (code spans and blocks left as they are)."""
    formulas = []

    def protect(match):
        formulas.append(_mathml(match.group(1) or match.group(2), display=match.group(1) is not None))
        return PLACEHOLDER.format(len(formulas) - 1)

    pieces, last = [], 0
    for code in CODE.finditer(source):
        pieces += [MATH.sub(protect, source[last:code.start()]), code.group(0)]
        last = code.end()
    pieces.append(MATH.sub(protect, source[last:]))
    html = markdown2html_mistune("".join(pieces))
    for index in reversed(range(len(formulas))):  # reversed: PLACEHOLDER1X is not a prefix of PLACEHOLDER12X then
        html = html.replace(PLACEHOLDER.format(index), formulas[index])
    return html


def _failure(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip().rstrip(":")
    return ""


class FeedbackSummary(Preprocessor):
    """resources['feedback_summary']: one row per graded cell (name, kind, score, points, status, message)."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        rows = []
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if not meta.get("grade"):
                continue
            score, points = meta.get("score"), float(meta.get("points", 0))
            if meta.get("solution"):
                kind, message = "written answer", meta.get("comment") or ""
                status = "not graded yet" if score is None else "graded"
            else:
                kind, message = "test", _failure(cell)
                if message == "NotImplementedError":
                    message = "NotImplementedError: not done (the stub still raises)"
                status = "passed" if score is not None and float(score) >= points else "failed"
            rows.append({"name": meta.get("grade_id", ""), "kind": kind, "score": score, "points": points,
                         "status": status, "message": message})
        resources["feedback_summary"] = rows
        return nb, resources
