"""python -m autograder VERB: the instructor's and the student's commands, on nbgrader.

Examples:
    python -m autograder release                 # regenerate notebooks/ from solutions/
    python -m autograder release --check         # fail when notebooks/ is out of sync
    python -m autograder validate notebooks/00_backprop/backprop.ipynb
    python -m autograder lab                     # JupyterLab for students (make lab); --instructor: make instructor
    python -m autograder grade submissions/      # <student>/<lecture>/<notebook>.ipynb, or <student>.zip
    python -m autograder grade class.zip --lecture 00 --cell-timeout 60 --memory 2G --workers 4
    python -m autograder grade submissions/ --due 00=2026-12-01T23:59 --late-penalty "10%/day, max 50%"
    python -m autograder feedback                # HTML per student, hidden tests never shown
    python -m autograder export                  # grades.csv and a score table
    python -m autograder report                  # plots, summary table, integrity report
    python -m autograder demo                    # the whole path on the bundled example submissions
    python -m autograder demo --fresh            # ... redoing the lectures unchanged since the last demo
    python -m autograder bench                   # a CIFAR-10 epoch vs PyTorch, each notebook's time, grading speed
    python -m autograder bench --part solver --threads 1
    python -m autograder mutants 05              # mutation score of a lecture's tests, survivors with reasons
Settings: AUTOGRADER_WORKDIR (default grading/), AUTOGRADER_DB_URL (any SQLAlchemy URL; default SQLite in it).
"""
import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

# jsonschema (via nbformat) builds a grammar for URI formats at import, 1.6 s that no command needs
sys.modules.setdefault("rfc3987_syntax", None)

from autograder import course  # noqa: E402
from autograder.sandbox.protocol import DEFAULTS, Limits  # noqa: E402


def _lectures(args):
    return [course.resolve_lecture(x) for x in args.lecture] if args.lecture else course.lectures()


def cmd_release(args):
    from autograder.release import out_of_sync, release
    if args.check:
        problems = out_of_sync(_lectures(args))
        for line in problems:
            print(line)
        if problems:
            print("notebooks/ is out of sync with solutions/: run `python -m autograder release` and commit notebooks/")
            return 1
        print("notebooks/ is in sync with solutions/")
        return 0
    release(_lectures(args), course.workdir())
    return 0


def cmd_validate(args):
    from autograder.validate import validate
    failed = 0
    for path in args.notebooks:
        ok, lines = validate(Path(path))
        print("\n".join(lines))
        failed += not ok
    if failed:
        print(f"VALIDATION FAILED on {failed} notebook(s)")
    return 1 if failed else 0


def cmd_lab(args):
    from autograder.lab import run
    run(instructor=args.instructor, port=args.port, no_browser=args.no_browser)
    return 0


def _size(text):
    """Bytes from '4G', '512M', '10MB' or a plain number."""
    units = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 4G or 512M")
    return int(float(match.group(1)) * units[match.group(2)])


def _size_text(size):
    """'4G', '10M' or a plain number of bytes: the inverse of _size for the help texts."""
    for unit, factor in (("T", 1024 ** 4), ("G", 1024 ** 3), ("M", 1024 ** 2), ("K", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def _due(values, lectures):
    """{lecture or '*': datetime} from '2026-12-01T23:59' (every lecture) or '00=2026-12-01T23:59'."""
    due = {}
    for value in values or []:
        lecture, _, when = value.rpartition("=")
        try:
            stamp = datetime.fromisoformat(when)
        except ValueError:
            raise SystemExit(f"--due {value!r}: expected [LECTURE=]YYYY-MM-DDTHH:MM") from None
        due[course.resolve_lecture(lecture) if lecture else "*"] = stamp
    return due


def cmd_grade(args):
    from autograder.export import score_table
    from autograder.grade import Options, grade
    from autograder.late import parse
    submissions = Path(args.submissions)
    if not submissions.is_dir() and not (submissions.is_file() and submissions.suffix.lower() == ".zip"):
        raise SystemExit(f"{submissions} is not a folder of submissions (<student>/<lecture>/<notebook>.ipynb) "
                         "or a zip file of one")
    work, lectures = course.workdir(), _lectures(args)
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout,
                            memory=args.memory, processes=args.processes, output=args.output_limit)
    options = Options(limits=limits, workers=args.workers, sandbox=args.sandbox, due=_due(args.due, lectures),
                      late=parse(args.late_penalty))
    statuses = grade(submissions, lectures, work, options)
    print(score_table(work, lectures))
    errors = [f"{s}/{lec}" for s, by in statuses.items() for lec, e in by.items() if e["status"] == "error"]
    if errors:
        print(f"\nthe grader failed on {len(errors)} submission(s) (see {work / 'logs'}): {', '.join(errors)}")
    return 1 if errors else 0


def cmd_report(args):
    from autograder.report import report
    work, lectures = course.workdir(), _lectures(args)
    folder, text = report(work, lectures, Path(args.output) if args.output else None)
    print(text)
    print(f"\nwrote {folder}")
    return 0


def cmd_bench(args):
    from autograder.bench import PARTS, bench
    bench(args.part or PARTS, course.resolve_lecture(args.lecture), args.submissions, args.workers,
          args.cell_timeout, args.threads, args.repeats)
    return 0


def cmd_feedback(args):
    from autograder.feedback import feedback
    written = feedback(_lectures(args), course.workdir(), args.student)
    print(f"wrote {len(written)} feedback file(s) under {course.workdir() / 'feedback'}")
    return 0


def cmd_export(args):
    from autograder.export import export, score_table
    work, lectures = course.workdir(), _lectures(args)
    path = export(work, lectures, Path(args.output) if args.output else None)
    print(score_table(work, lectures))
    print(f"\nwrote {path}")
    return 0


def cmd_mutants(args):
    from autograder.mutants import print_report
    return 1 if print_report(_lectures(args)) else 0


def cmd_demo(args):
    from autograder.demo import demo
    return demo(_lectures(args), fresh=args.fresh)


def parser():
    p = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)

    def add(name, func, help_text):
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.set_defaults(func=func)
        return cmd

    cmd = add("release", cmd_release, "regenerate the student notebooks/ from solutions/")
    cmd.add_argument("lecture", nargs="*", help="lecture folders or numbers (default: all)")
    cmd.add_argument("--check", action="store_true", help="only check that notebooks/ is in sync; exit 1 if not")
    for name in ("validate", "check"):
        cmd = add(name, cmd_validate, "run a notebook's tests as the grader will; exit 1 when any fails")
        cmd.add_argument("notebooks", nargs="+", help="notebook files")
    cmd = add("lab", cmd_lab, "JupyterLab on the course, from the repository root (Formgrader, Assignment List and "
              "the Validate button find nbgrader_config.py there)")
    cmd.add_argument("--instructor", action="store_true", help="open the repository root instead of notebooks/")
    cmd.add_argument("--port", type=int, help="port (default: JupyterLab's, 8888 or the next free one)")
    cmd.add_argument("--no-browser", action="store_true", help="do not open a browser")
    cmd = add("grade", cmd_grade, "autograde a folder (or zip) of submissions <student>/<lecture>/<notebook>.ipynb, "
              "each in its own sandbox, in parallel")
    cmd.add_argument("submissions", help="folder with one subfolder (or <student>.zip) per student, or a zip of it")
    cmd.add_argument("--lecture", action="append", help="grade only this lecture (repeatable; default: all)")
    cmd.add_argument("--cell-timeout", type=int, default=DEFAULTS.cell_timeout,
                     help="seconds per cell (default %(default)s)")
    cmd.add_argument("--notebook-timeout", type=int, default=DEFAULTS.notebook_timeout,
                     help="seconds per notebook (default %(default)s)")
    cmd.add_argument("--memory", type=_size, default=DEFAULTS.memory,
                     help=f"memory per notebook (default {_size_text(DEFAULTS.memory)})")
    cmd.add_argument("--processes", type=int, default=DEFAULTS.processes,
                     help="processes and threads per notebook (default %(default)s)")
    cmd.add_argument("--output-limit", type=_size, default=DEFAULTS.output,
                     help=f"output per cell and per notebook (default {_size_text(DEFAULTS.output)})")
    cmd.add_argument("--workers", type=int, default=0, help="notebooks graded at once (default: one per CPU core)")
    cmd.add_argument("--sandbox", choices=("auto", "bwrap", "none"), default="auto",
                     help="auto: bubblewrap when usable, else the fallback; bwrap: require it; none: fallback only")
    cmd.add_argument("--due", action="append", metavar="[LECTURE=]DATE",
                     help="due date (ISO, e.g. 2026-12-01T23:59) of every lecture or of one; repeatable")
    cmd.add_argument("--late-penalty", default="none",
                     help="none (default), zero, or a rate such as '10%%/day, max 50%%' of the notebook's score")
    cmd = add("feedback", cmd_feedback, "write HTML feedback for graded submissions (no hidden tests)")
    cmd.add_argument("--lecture", action="append")
    cmd.add_argument("--student", action="append")
    cmd = add("export", cmd_export, "write grades.csv (one row per student and lecture) and print the score table")
    cmd.add_argument("--lecture", action="append")
    cmd.add_argument("--output", help="CSV path (default <workdir>/grades.csv)")
    cmd = add("report", cmd_report, "plots (score distribution, per-exercise difficulty), summary table, "
              "integrity report")
    cmd.add_argument("--lecture", action="append")
    cmd.add_argument("--output", help="folder (default <workdir>/report)")
    cmd = add("bench", cmd_bench, "speed in one run: a CIFAR-10 epoch (Solver vs PyTorch vs the BLAS bound), each "
              "solution notebook's time, grading (plain `nbgrader autograde` vs `python -m autograder grade`)")
    cmd.add_argument("--part", action="append", choices=("solver", "notebooks", "grading"),
                     help="run only this part (repeatable; default: all three)")
    cmd.add_argument("--threads", type=int, help="solver: BLAS and torch threads (default: numpy's, one per core)")
    cmd.add_argument("--repeats", type=int, default=3, help="solver: timed epochs of each (default %(default)s)")
    cmd.add_argument("--lecture", default="00", help="grading: lecture (default %(default)s)")
    cmd.add_argument("--submissions", type=int, default=20,
                     help="grading: number of submissions (default %(default)s)")
    cmd.add_argument("--workers", type=int, default=0, help="grading: our workers (default: one per CPU core)")
    cmd.add_argument("--cell-timeout", type=int, default=DEFAULTS.cell_timeout,
                     help="grading: seconds per cell (default %(default)s)")
    cmd = add("mutants", cmd_mutants, "generated mutants of every answer: the mutation score per lecture and every "
              "survivor with its recorded reason; exit 1 when a survivor has none")
    cmd.add_argument("lecture", nargs="*", help="lecture folders or numbers (default: all)")
    cmd = add("demo", cmd_demo, "release, grade the example submissions (the solutions among them), print the scores")
    cmd.add_argument("--lecture", action="append")
    cmd.add_argument("--fresh", action="store_true",
                     help="grade every lecture again, even those unchanged since the last demo")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
