"""`report`: what an instructor looks at after grading a class.

Writes into ``<workdir>/report/`` (or the given folder):

- ``score_distribution.png``: histogram of the totals (percent of the maximum) per lecture;
- ``exercise_difficulty.png``: per exercise, the mean share of its points and the share of
  submissions with full points (graded submissions only);
- ``summary.md``: per lecture, the status counts and the per-exercise table, the
  submissions that were not graded normally (with what happened), and the integrity
  report; ``summary.csv`` (one row per exercise) and ``integrity.csv`` (one row per flag).
"""
import csv
import statistics
from pathlib import Path

from nbgrader.api import Gradebook

from autograder import course
from autograder.export import lecture_cells, rows
from autograder.statuses import SCORED, STATUSES, load_statuses

AUTO_COLUMNS = ("student", "lecture", "total", "max", "late_penalty", "status", "detail", "flags")


def exercise_stats(table, lecture, maxima):
    """[(exercise, max, mean share, full-marks share, n)] over a lecture's scored submissions."""
    scored = [r for r in table if r["lecture"] == lecture and r["status"] in SCORED]
    stats = []
    for name, maximum in maxima.items():
        values = [r[name] for r in scored if r.get(name) is not None]
        if not values or not maximum:
            continue
        stats.append((name, maximum, statistics.mean(values) / maximum,
                      sum(v >= maximum for v in values) / len(values), len(values)))
    return stats


def _maxima(work, lecture):
    with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
        return {name: m for name, m, auto in lecture_cells(gb, lecture) if auto}


def report(work, lectures, folder=None):
    """Write the report; returns (folder, summary text)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder or Path(work) / "report")
    folder.mkdir(parents=True, exist_ok=True)
    table = rows(work, lectures)
    statuses = load_statuses(work)
    lectures = [lec for lec in lectures if any(r["lecture"] == lec for r in table)]
    maxima = {lec: _maxima(work, lec) for lec in lectures}

    fig, axes = plt.subplots(1, max(1, len(lectures)), figsize=(4.5 * max(1, len(lectures)), 3.2), squeeze=False)
    for ax, lecture in zip(axes[0], lectures):
        auto_max = sum(maxima[lecture].values()) or 1
        totals = [min(100, 100 * r["total"] / auto_max) for r in table if r["lecture"] == lecture]
        ax.hist(totals, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001], color="tab:blue", edgecolor="white")
        ax.set(title=f"{lecture} (n = {len(totals)})", xlabel=f"total, % of the {auto_max:g} autograded points",
               ylabel="submissions")
    fig.tight_layout()
    fig.savefig(folder / "score_distribution.png", dpi=110)
    plt.close(fig)

    stats = {lec: exercise_stats(table, lec, maxima[lec]) for lec in lectures}
    names = [f"{lec[:2]}:{s[0]}" for lec in lectures for s in stats[lec]]
    fig, ax = plt.subplots(figsize=(7, 0.32 * max(4, len(names)) + 1))
    means = [100 * s[2] for lec in lectures for s in stats[lec]]
    full = [100 * s[3] for lec in lectures for s in stats[lec]]
    ax.barh(range(len(names)), means, color="tab:orange", label="mean share of the points")
    ax.scatter(full, range(len(names)), color="black", marker="|", s=120, label="full marks, % of submissions")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="%", title="per-exercise difficulty (graded submissions)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25 if len(names) < 8 else -0.08), ncol=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "exercise_difficulty.png", dpi=110)
    plt.close(fig)

    with open(folder / "summary.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["lecture", "exercise", "max", "mean_share", "full_marks_share", "submissions"])
        for lecture in lectures:
            for name, maximum, mean, full_share, n in stats[lecture]:
                writer.writerow([lecture, name, f"{maximum:g}", f"{mean:.3f}", f"{full_share:.3f}", n])
    flags = [(student, lecture, item) for student, by in sorted(statuses.items()) for lecture, entry in by.items()
             if lecture in lectures for item in entry.get("flags", [])]
    with open(folder / "integrity.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "lecture", "kind", "cell", "detail"])
        for student, lecture, item in flags:
            writer.writerow([student, lecture, item["kind"], "" if item.get("cell") is None else item["cell"],
                             item["detail"]])

    text = _summary(table, lectures, stats, flags, maxima)
    (folder / "summary.md").write_text(text + "\n\n![score distribution](score_distribution.png)\n"
                                       "![exercise difficulty](exercise_difficulty.png)\n")
    return folder, text


def _summary(table, lectures, stats, flags, maxima):
    out = ["# Grading report"]
    for lecture in lectures:
        lecture_rows = [r for r in table if r["lecture"] == lecture]
        counts = {}
        for r in lecture_rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        totals = [r["total"] for r in lecture_rows if r["status"] in SCORED]
        maximum = lecture_rows[0]["max"] if lecture_rows else 0
        auto_max = sum(maxima[lecture].values())
        out.append(f"\n## {lecture}: {len(lecture_rows)} submissions\n")
        out.append("status: " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items())))
        if totals:
            out.append(f"total (of {maximum:g}, {auto_max:g} autograded): mean {statistics.mean(totals):.2f}, "
                       f"median {statistics.median(totals):g}, all autograded points "
                       f"{sum(t >= auto_max for t in totals)}")
        out.append("\n| exercise | max | mean | full marks | n |\n|---|---:|---:|---:|---:|")
        for name, m, mean, full_share, n in stats[lecture]:
            out.append(f"| {name} | {m:g} | {100 * mean:.0f}% | {100 * full_share:.0f}% | {n} |")
        unusual = [r for r in lecture_rows if r["status"] != "graded" or r["detail"] or r["late_penalty"]]
        if unusual:
            out.append("\n| student | status | total | what happened |\n|---|---|---:|---|")
            for r in unusual:
                late = f"late: -{r['late_penalty']:g} points. " if r["late_penalty"] else ""
                out.append(f"| {r['student']} | {r['status']} | {r['total']:g} | "
                           f"{late}{r['detail'] or STATUSES[r['status']]} |")
    out.append("\n## Integrity report\n")
    if not flags:
        out.append("no flags")
    else:
        out.append("| student | lecture | kind | cell | detail |\n|---|---|---|---:|---|")
        for student, lecture, item in flags:
            cell = "" if item.get("cell") is None else item["cell"]
            out.append(f"| {student} | {lecture} | {item['kind']} | {cell} | {item['detail']} |")
    return "\n".join(out)
