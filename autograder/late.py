"""Late penalties: nbgrader's late-submission plugin with a per-day rate and a cap.

nbgrader assigns the penalty per notebook when it saves the autograded scores
(AssignLatePenalties), from the lecture's due date in the gradebook and the submission's
``timestamp.txt``; ``export`` subtracts it from the total. Configured by
``python -m autograder grade --due ... --late-penalty ...`` (see ``parse``).
"""
import math
import re

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Enum, Float

DAY = 86400


class LatePenalty(LateSubmissionPlugin):
    """'none', 'zero' (nbgrader's), or 'per_day': a fraction of the score per started day late, capped."""

    penalty_method = Enum(("none", "zero", "per_day"), default_value="none",
                          help="none, zero, or per_day (rate and cap below)").tag(config=True)
    per_day = Float(0.1, help="fraction of the notebook's score lost per started day late").tag(config=True)
    cap = Float(1.0, help="largest fraction of the score lost").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if self.penalty_method == "per_day":
            days = math.ceil(total_seconds_late / DAY)
            return score * min(self.cap, self.per_day * days)
        return super().late_submission_penalty(student_id, score, total_seconds_late)


def parse(text):
    """{'penalty_method', 'per_day', 'cap'} from 'none', 'zero' or '10%/day' with an optional ', max 50%'."""
    text = (text or "none").strip().lower()
    if text in ("none", "zero"):
        return {"penalty_method": text}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)%\s*(?:/|per\s*)day\s*(?:,?\s*max\s*(\d+(?:\.\d+)?)%)?", text)
    if not match:
        raise SystemExit(f"--late-penalty {text!r}: expected none, zero, or a rate like '10%/day, max 50%'")
    cap = float(match.group(2)) / 100 if match.group(2) else 1.0
    return {"penalty_method": "per_day", "per_day": float(match.group(1)) / 100, "cap": cap}
