"""Does the demo reuse a lecture's last results only when nothing they depend on changed?"""
from autograder import course, reuse
from autograder.statuses import save_statuses

L00, L01 = course.lectures()[:2]
STUDENTS = ("correct", "mistakes")


def test_digests_are_stable_and_per_lecture(tmp_path):
    """Is the digest the same when computed twice, and different for two lectures?"""
    shared = reuse.shared_digest(tmp_path)
    assert shared == reuse.shared_digest(tmp_path)
    assert reuse.lecture_digest(L00, shared) == reuse.lecture_digest(L00, shared)
    assert reuse.lecture_digest(L00, shared) != reuse.lecture_digest(L01, shared)


def test_a_changed_setting_changes_the_digest(tmp_path, monkeypatch):
    """Does another data folder (TRAINLAB_DATA) make every lecture's last results stale?"""
    before = reuse.shared_digest(tmp_path)
    monkeypatch.setenv("TRAINLAB_DATA", str(tmp_path))
    assert reuse.shared_digest(tmp_path) != before


def test_reusable_needs_the_same_digest_and_every_students_status(tmp_path):
    """Is a lecture reused only with its stamp's digest and a status for every example student?"""
    digest = reuse.lecture_digest(L00, reuse.shared_digest(tmp_path))
    reuse.save(tmp_path, {L00: {"digest": digest, "seconds": 1.0}})
    stamps = reuse.load(tmp_path)
    assert not reuse.reusable(tmp_path, stamps, L00, digest, STUDENTS)  # nothing graded yet
    save_statuses(tmp_path, {"correct": {L00: {"status": "graded"}}})
    assert not reuse.reusable(tmp_path, stamps, L00, digest, STUDENTS)  # one student missing
    save_statuses(tmp_path, {s: {L00: {"status": "graded"}} for s in STUDENTS})
    assert reuse.reusable(tmp_path, stamps, L00, digest, STUDENTS)
    assert not reuse.reusable(tmp_path, stamps, L00, "another digest", STUDENTS)
    assert not reuse.reusable(tmp_path, stamps, L01, digest, STUDENTS)
