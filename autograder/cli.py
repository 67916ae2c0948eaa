"""python -m autograder VERB: the instructor's and the student's commands, on nbgrader.

Examples:
    python -m autograder release                 # regenerate notebooks/ from solutions/
    python -m autograder release --check         # fail when notebooks/ is out of sync
    python -m autograder validate notebooks/00_backprop/backprop.ipynb
    python -m autograder grade submissions/      # submissions/<student>/<lecture>/<notebook>.ipynb
    python -m autograder feedback                # HTML per student, hidden tests never shown
    python -m autograder export                  # grades.csv and a score table
    python -m autograder demo                    # the whole path on the bundled example submissions
Settings: AUTOGRADER_WORKDIR (default grading/), AUTOGRADER_DB_URL (default SQLite in it).
"""
import argparse
import sys
from pathlib import Path

from autograder import course


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


def cmd_grade(args):
    from autograder.export import score_table
    from autograder.grade import grade
    submissions = Path(args.submissions)
    if not submissions.is_dir():
        raise SystemExit(f"{submissions} is not a folder of submissions (<student>/<lecture>/<notebook>.ipynb)")
    work, lectures = course.workdir(), _lectures(args)
    grade(submissions, lectures, work, cell_timeout=args.cell_timeout)
    print(score_table(work, lectures))
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


def cmd_demo(args):
    from autograder.demo import demo
    return demo(_lectures(args))


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
    cmd = add("grade", cmd_grade, "autograde a folder of submissions <student>/<lecture>/<notebook>.ipynb")
    cmd.add_argument("submissions", help="folder with one subfolder per student")
    cmd.add_argument("--lecture", action="append", help="grade only this lecture (repeatable; default: all)")
    cmd.add_argument("--cell-timeout", type=int, default=course.CELL_TIMEOUT, help="seconds per cell (default %(default)s)")
    cmd = add("feedback", cmd_feedback, "write HTML feedback for graded submissions (no hidden tests)")
    cmd.add_argument("--lecture", action="append")
    cmd.add_argument("--student", action="append")
    cmd = add("export", cmd_export, "write grades.csv (one row per student and lecture) and print the score table")
    cmd.add_argument("--lecture", action="append")
    cmd.add_argument("--output", help="CSV path (default <workdir>/grades.csv)")
    cmd = add("demo", cmd_demo, "release, execute the solutions, grade the example submissions, print the scores")
    cmd.add_argument("--lecture", action="append")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
