"""`export`: grades.csv with one row per student and lecture, and the score table of the demo.

Columns: student, lecture, one per graded cell (its grade_id: the points of that exercise,
partial credit included; a free-response answer is empty until an instructor grades it),
total (after the late penalty), max, late_penalty, status (see autograder.statuses.STATUSES),
detail (what happened, one line) and flags (the integrity report's kinds, see
autograder.integrity). A submission that was not graded (corrupt, missing, wrong lecture,
error) scores 0 in every column.
"""
import csv

from nbgrader.api import Gradebook, MissingEntry

from autograder import course, integrity
from autograder.statuses import SCORED, load_statuses

COLUMNS_AFTER = ("total", "max", "late_penalty", "status", "detail", "flags")


def lecture_cells(gb, lecture):
    """[(grade_id, max_score, auto)] of a lecture's graded cells, in notebook order."""
    assignment = gb.find_assignment(lecture)
    cells = []
    for notebook in assignment.notebooks:
        for cell in notebook.grade_cells:
            cells.append((cell.name, cell.max_score, cell.cell_type == "code"))
    return cells


def scores(gb, student, lecture, status):
    """({grade_id: score or None}, late penalty) of one submission; zeros when it was not graded."""
    notebook = course.lecture_notebook(lecture).removesuffix(".ipynb")
    cells = lecture_cells(gb, lecture)
    zeros = {name: 0.0 for name, _, _ in cells}
    if status not in SCORED:
        return zeros, 0.0
    try:
        submitted = gb.find_submission_notebook(notebook, lecture, student)
    except MissingEntry:
        return zeros, 0.0
    auto = {name for name, _, is_code in cells if is_code}
    found = {}
    for grade in submitted.grades:
        if grade.name in auto:
            found[grade.name] = grade.score
        else:  # a free-response answer counts once an instructor has graded it
            found[grade.name] = grade.manual_score
    return {name: found.get(name, 0.0) for name, _, _ in cells}, float(submitted.late_submission_penalty or 0.0)


def rows(work, lectures):
    """One dict per student and lecture with every column of grades.csv."""
    statuses = load_statuses(work)
    table = []
    with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
        for lecture in lectures:
            try:
                maximum = sum(m for _, m, _ in lecture_cells(gb, lecture))
            except MissingEntry:
                continue
            for student in sorted(statuses):
                entry = statuses[student].get(lecture)
                if entry is None:
                    continue
                by_cell, penalty = scores(gb, student, lecture, entry["status"])
                total = sum(v for v in by_cell.values() if v is not None) - penalty
                table.append({"student": student, "lecture": lecture, **by_cell, "total": total, "max": maximum,
                              "late_penalty": penalty, "status": entry["status"], "detail": entry.get("detail", ""),
                              "flags": integrity.summary(entry.get("flags", []))})
    table.sort(key=lambda r: (r["student"], r["lecture"]))
    return table


def export(work, lectures, path=None):
    """Write grades.csv (default <workdir>/grades.csv); returns its path."""
    path = path or work / "grades.csv"
    table = rows(work, lectures)
    columns = ["student", "lecture"]
    for row in table:
        columns += [k for k in row if k not in columns and k not in COLUMNS_AFTER]
    columns += list(COLUMNS_AFTER)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        for row in table:
            writer.writerow({k: ("" if v is None else _number(v)) for k, v in row.items()})
    return path


def _number(value):
    return f"{value:g}" if isinstance(value, float) and value == int(value) and abs(value) < 1e15 else value


def score_table(work, lectures):
    """Per lecture, a text table: one row per autograded exercise, one column per student."""
    table = rows(work, lectures)
    statuses = load_statuses(work)
    out = []
    with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
        for lecture in lectures:
            lecture_rows = [r for r in table if r["lecture"] == lecture]
            if not lecture_rows:
                continue
            cells = lecture_cells(gb, lecture)
            students = [r["student"] for r in lecture_rows]
            width = max(12, *(len(s) + 2 for s in students))
            out.append(f"\n{lecture}")
            out.append(f"{'exercise':<26}{'max':>5}  " + "".join(f"{s:>{width}}" for s in students))
            for name, max_score, auto in cells:
                if auto:
                    row = "".join(f"{_fmt(r[name]):>{width}}" for r in lecture_rows)
                    out.append(f"{name:<26}{_fmt(max_score):>5}  {row}")
            auto_max = sum(m for _, m, auto in cells if auto)
            manual = [n for n, _, auto in cells if not auto]
            out.append(f"{'autograded total':<26}{_fmt(auto_max):>5}  "
                       + "".join(f"{_fmt(r['total']):>{width}}" for r in lecture_rows))
            out.append(f"{'status':<26}{'':>5}  " + "".join(f"{r['status']:>{width}}" for r in lecture_rows))
            if manual:
                out.append(f"({len(manual)} free-response answers per student wait for manual grading: {', '.join(manual)})")
            for student in students:
                entry = statuses[student][lecture]
                if entry.get("detail"):
                    out.append(f"  {student}: {entry['detail']}")
                if entry.get("flags"):
                    out.append(f"  {student}: flags: {integrity.summary(entry['flags'])}")
    return "\n".join(out)


def _fmt(value):
    return "-" if value is None else f"{value:g}"
