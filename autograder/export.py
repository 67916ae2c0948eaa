"""`export`: grades.csv with one row per student and lecture, and the score table of the demo.

Columns: student, lecture, one per graded cell (its grade_id; empty while a manually
graded answer waits for a grade), total, max, status (DESIGN §6).
"""
import csv

from nbgrader.api import Gradebook, MissingEntry

from autograder import course
from autograder.grade import load_statuses

SCORED = ("graded", "timeout", "memory")  # statuses whose gradebook scores count


def lecture_cells(gb, lecture):
    """[(grade_id, max_score, auto)] of a lecture's graded cells, in notebook order."""
    assignment = gb.find_assignment(lecture)
    cells = []
    for notebook in assignment.notebooks:
        for cell in notebook.grade_cells:
            cells.append((cell.name, cell.max_score, cell.cell_type == "code"))
    return cells


def scores(gb, student, lecture, status):
    """{grade_id: score or None} of one submission; zeros when it was not graded."""
    notebook = course.lecture_notebook(lecture).removesuffix(".ipynb")
    cells = lecture_cells(gb, lecture)
    if status not in SCORED:
        return {name: 0.0 for name, _, _ in cells}
    try:
        submitted = gb.find_submission_notebook(notebook, lecture, student)
    except MissingEntry:
        return {name: 0.0 for name, _, _ in cells}
    found = {g.name: (None if g.needs_manual_grade and g.manual_score is None else g.score) for g in submitted.grades}
    return {name: found.get(name, 0.0) for name, _, _ in cells}


def rows(work, lectures):
    """One dict per student and lecture with every column of grades.csv."""
    statuses = load_statuses(work)
    table = []
    with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
        for student in sorted(statuses):
            for lecture in lectures:
                if lecture not in statuses[student]:
                    continue
                status = statuses[student][lecture]["status"]
                by_cell = scores(gb, student, lecture, status)
                total = sum(v for v in by_cell.values() if v is not None)
                maximum = sum(m for _, m, _ in lecture_cells(gb, lecture))
                table.append({"student": student, "lecture": lecture, **by_cell,
                              "total": total, "max": maximum, "status": status})
    return table


def export(work, lectures, path=None):
    """Write grades.csv (default <workdir>/grades.csv); returns its path."""
    path = path or work / "grades.csv"
    table = rows(work, lectures)
    columns = ["student", "lecture"]
    for row in table:
        columns += [k for k in row if k not in columns and k not in ("total", "max", "status")]
    columns += ["total", "max", "status"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        for row in table:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return path


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
            students = [r["student"] for r in lecture_rows]
            width = max(12, *(len(s) for s in students))
            out.append(f"\n{lecture}")
            out.append(f"{'exercise':<26}{'max':>5}  " + "".join(f"{s:>{width}}" for s in students))
            for name, max_score, auto in lecture_cells(gb, lecture):
                if not auto:
                    continue
                cells = "".join(f"{_fmt(r[name]):>{width}}" for r in lecture_rows)
                out.append(f"{name:<26}{_fmt(max_score):>5}  {cells}")
            auto_max = sum(m for _, m, auto in lecture_cells(gb, lecture) if auto)
            manual = [n for n, _, auto in lecture_cells(gb, lecture) if not auto]
            out.append(f"{'autograded total':<26}{_fmt(auto_max):>5}  "
                       + "".join(f"{_fmt(r['total']):>{width}}" for r in lecture_rows))
            out.append(f"{'status':<26}{'':>5}  " + "".join(f"{r['status']:>{width}}" for r in lecture_rows))
            if manual:
                out.append(f"({len(manual)} free-response answers per student wait for manual grading: {', '.join(manual)})")
            notes = [f"  {s}: {statuses[s][lecture]['detail']}" for s in students if statuses[s][lecture].get("detail")]
            out += notes
    return "\n".join(out)


def _fmt(value):
    return "-" if value is None else f"{value:g}"
