"""Hyperparameter search (lecture 10): the references on small problems, the worker/master pattern
on a shared folder, and the Optuna engine with several worker processes on a journal file and on
a real PostgreSQL server.

The PostgreSQL tests start their own throwaway server from Debian's `postgresql` package (initdb
and postgres from /usr/lib/postgresql/*/bin, as tests/test_grading_postgres.py does), listening
on a unix socket only; they are skipped, with the reason, where PostgreSQL, psycopg or Optuna is
missing.
"""
import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from trainlab import search

optuna = pytest.importorskip("optuna", reason="Optuna is not installed (pip install -e .)")

SPACE = {"lr": (1e-6, 1e-3, "log"), "dropout": (0.2, 0.8, "linear")}


# --------------------------------------------------------------------------- the references


def test_sample_log_uniform_covers_every_decade_equally():
    """Are log-uniform samples inside the range, with each decade holding about the same share?"""
    x = search.sample_log_uniform(1e-6, 1e-2, np.random.default_rng(0), size=40000)
    assert x.shape == (40000,) and x.min() >= 1e-6 and x.max() <= 1e-2
    shares = np.histogram(np.log10(x), bins=4, range=(-6, -2))[0] / x.size
    assert np.allclose(shares, 0.25, atol=0.01), shares
    one = search.sample_log_uniform(1e-3, 1e-3, np.random.default_rng(0))
    assert np.isclose(one, 1e-3) and np.ndim(one) == 0


def test_random_search_draws_in_order_and_scores_each_setting_once():
    """Does random search draw trial by trial, parameter by parameter, and call the objective once per setting?"""
    calls = []
    results = search.random_search(lambda p: calls.append(p) or p["dropout"], SPACE, 5, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    for params, score in results:
        assert params["lr"] == 10 ** rng.uniform(-6, -3) and params["dropout"] == rng.uniform(0.2, 0.8)
        assert score == params["dropout"]
    assert calls == [p for p, _ in results]
    assert search.random_search(lambda p: 0.0, SPACE, 0, np.random.default_rng(0)) == []


def test_grid_search_includes_the_ends_on_each_scale():
    """Does the grid hold n values per parameter, evenly spaced on its scale, both ends included, last fastest?"""
    results = search.grid_search(lambda p: 1.0, SPACE, 3)
    assert len(results) == 9
    lrs = sorted({p["lr"] for p, _ in results})
    assert np.allclose(lrs, [1e-6, np.sqrt(1e-9), 1e-3])
    assert [p["dropout"] for p, _ in results[:3]] == pytest.approx([0.2, 0.5, 0.8])
    assert search.grid_search(lambda p: 1.0, SPACE, 1) == [({"lr": 1e-6, "dropout": 0.2}, 1.0)]


def test_random_search_beats_grid_search_when_one_parameter_matters():
    """Bergstra-Bengio: with 9 trials, does random search find the important parameter's peak better than a 3x3 grid?"""
    space = {"important": (0.0, 1.0, "linear"), "unimportant": (0.0, 1.0, "linear")}
    grid_best = max(s for _, s in search.grid_search(search.bergstra_bengio, space, 3))
    random_best = [max(s for _, s in search.random_search(search.bergstra_bengio, space, 9, np.random.default_rng(seed)))
                   for seed in range(20)]
    assert np.median(random_best) > grid_best + 0.2, (np.median(random_best), grid_best)


def test_coarse_to_fine_narrows_around_the_optimum_and_trains_longer():
    """Do the stages shrink each range to the best results' span (around the optimum) and use each stage's epochs?"""
    def objective(p, num_epochs):
        return -(np.log10(p["lr"]) + 4.0) ** 2 - (p["dropout"] - 0.5) ** 2 - 1.0 / num_epochs

    history = search.coarse_to_fine(objective, SPACE, [(30, 1), (20, 5), (10, 25)], np.random.default_rng(0))
    assert [h["num_epochs"] for h in history] == [1, 5, 25]
    assert history[0]["space"] == SPACE
    for before, after in zip(history, history[1:]):
        for name, (low, high, _) in after["space"].items():
            old_low, old_high, _ = before["space"][name]
            assert old_low <= low <= high <= old_high
        best = sorted(before["results"], key=lambda r: r[1], reverse=True)[:3]
        assert after["space"]["lr"][:2] == (min(p["lr"] for p, _ in best), max(p["lr"] for p, _ in best))
    low, high, _ = history[-1]["space"]["lr"]
    assert low < 1e-4 * 3 and high > 1e-4 / 3 and high / low < 100


def test_best_on_border_flags_each_side_inclusive_and_in_log10():
    """Does the border check flag the right side, in log10 for log ranges, with an inclusive margin?"""
    space = {"lr": (1e-6, 1e-2, "log"), "p": (0.0, 1.0, "linear")}
    assert search.best_on_border([({"lr": 1e-5, "p": 0.25}, 1.0)], space, margin=0.25) == {"lr": "low", "p": "low"}
    assert search.best_on_border([({"lr": 1e-3, "p": 0.75}, 1.0)], space, margin=0.25) == {"lr": "high", "p": "high"}
    assert search.best_on_border([({"lr": 1e-4, "p": 0.5}, 1.0), ({"lr": 1e-6, "p": 0.0}, 0.5)], space) == {}
    assert search.best_on_border([({"lr": 1e-3, "p": 0.5}, 1.0)], space) == {}  # 1e-3 is 1/4 of the decades from the top


def test_successive_halving_keeps_the_best_and_saves_epochs():
    """Does halving keep the best 1/eta per rung with eta x the epochs, pick the best config, and cost less than full training?"""
    quality = [0.1, 0.9, 0.4, 0.3, 0.8, 0.2, 0.5, 0.7, 0.6]
    calls = []

    def objective(p, num_epochs):
        calls.append(num_epochs)
        return p["q"] * (1 - 0.5 ** num_epochs)

    best, rungs = search.successive_halving(objective, [{"q": q} for q in quality], min_epochs=1, eta=3)
    assert best == 1
    assert [[i for i, _, _ in rung] for rung in rungs] == [list(range(9)), [1, 4, 7], [1]]
    assert [{e for _, e, _ in rung} for rung in rungs] == [{1}, {3}, {9}]
    assert sum(calls) == 27 < 9 * 9
    assert search.successive_halving(objective, [{"q": 0.5}], 2, 3)[1] == [[(0, 2, 0.5 * 0.75)]]


def test_rank_checkpoints_reads_the_accuracy_from_the_names():
    """Are checkpoints ranked by the accuracy in their names, best first, other files ignored?"""
    names = ["val0.4100_a.npz", "STOP", "val0.5320_b.npz", "tmp-w0-3.npz", "val0.5320_a.npz", "val1.0_x", "notes.txt"]
    assert search.rank_checkpoints(names) == [(1.0, "val1.0_x"), (0.532, "val0.5320_a.npz"), (0.532, "val0.5320_b.npz"),
                                              (0.41, "val0.4100_a.npz")]


def test_workers_and_master_share_a_folder(tmp_path):
    """Do two workers write checkpoints named by accuracy, the master rank and load them, and STOP end the workers?"""
    def objective(params):
        time.sleep(0.01)
        return params["dropout"], {"W": np.full(3, params["dropout"])}

    master = search.Master(tmp_path)
    threads = [threading.Thread(target=search.checkpoint_worker, args=(tmp_path, objective, SPACE, 5, seed, f"w{seed}"))
               for seed in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ranking = master.ranking()
    assert len(ranking) == 10 and [a for a, _ in ranking] == sorted((a for a, _ in ranking), reverse=True)
    acc, arrays = master.best()
    assert np.allclose(arrays["W"], acc, atol=1e-4) and np.isclose(arrays["param_dropout"], acc, atol=1e-4)
    assert len(master.prune(keep=3)) == 7 and len(master.ranking()) == 3
    master.stop()
    assert search.checkpoint_worker(tmp_path, objective, SPACE, 5, 9) == []


# --------------------------------------------------------------------------- the Optuna engine

OBJECTIVES = '''
import os, time
import optuna

def quick(trial):
    """A cheap objective: what the storage costs per trial."""
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("lr", 1e-6, 1e-2, log=True)
    trial.report(-x * x, 0)
    return -x * x - y

def recorded(trial):
    """Each evaluation leaves a file named by its trial number: a duplicated evaluation cannot create it twice."""
    x = trial.suggest_float("x", -10, 10)
    fd = os.open(os.path.join(os.environ["MARKS"], f"trial{trial.number}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    for step in range(3):
        time.sleep(float(os.environ.get("STEP_SECONDS", "0.02")))
        trial.report(-x * x, step)
    return -x * x
'''


def _env(tmp_path, **extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", **extra)
    return env


def _worker(tmp_path, storage, study, objective, trials, **extra):
    return subprocess.Popen([sys.executable, "-m", "trainlab.search", "worker", "--study", study, "--storage", storage,
                             "--objective", f"searchobjectives:{objective}", "--trials", str(trials)],
                            cwd=tmp_path, env=_env(tmp_path, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(procs, timeout=180):
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, f"worker failed ({p.returncode}): {err.decode()[-3000:]}"


def _status(tmp_path, storage, study):
    done = subprocess.run([sys.executable, "-m", "trainlab.search", "status", "--study", study, "--storage", storage],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _bindir():
    """Folder of PostgreSQL's server programs, or None (as tests/test_grading_postgres.py finds them)."""
    candidates = [shutil.which("initdb")] + sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and os.access(Path(candidate).parent / "postgres", os.X_OK):
            return Path(candidate).resolve().parent
    return None


@pytest.fixture(scope="module")
def postgres_server():
    """A throwaway PostgreSQL server on a unix socket; yields (socket folder, a function making a fresh database URL)."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed (pip install -e .)")
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="search-pg-"))
    data, socket_dir = folder / "data", folder / "socket"
    socket_dir.mkdir()
    run_as = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = pwd.getpwnam("nobody")
        for path in (folder, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
        run_as = [shutil.which("setpriv"), f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}", "--clear-groups"]
    subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-U", "search", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    server = subprocess.Popen(run_as + [str(bindir / "postgres"), "-D", str(data), "-k", str(socket_dir),
                                        "-c", "listen_addresses=", "-c", "fsync=off"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    count = iter(range(1000))

    def new_database():
        name = f"study{next(count)}"
        with psycopg.connect(host=str(socket_dir), user="search", dbname="postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://search@/{name}?host={socket_dir}"

    try:
        for _ in range(200):
            try:
                with psycopg.connect(host=str(socket_dir), user="search", dbname="postgres", autocommit=True):
                    break
            except psycopg.OperationalError:
                if server.poll() is not None:
                    pytest.fail(f"postgres did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield new_database
    finally:
        server.send_signal(signal.SIGINT)  # "fast" shutdown: SIGTERM would wait for pooled connections to close
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["journal", "postgresql"])
def storage(request, tmp_path):
    """A fresh study storage: a journal file, or a new database on the throwaway PostgreSQL server."""
    (tmp_path / "searchobjectives.py").write_text(textwrap.dedent(OBJECTIVES))
    if request.param == "journal":
        return str(tmp_path / "study.log")
    return request.getfixturevalue("postgres_server")()


def _load(storage, study):
    return optuna.load_study(study_name=study, storage=search.open_storage(storage))


@pytest.mark.slow
def test_three_workers_share_a_study(storage, tmp_path):
    """Do three worker processes on one study complete all 3 x N trials, each evaluated once, none duplicated?"""
    marks = tmp_path / "marks"
    marks.mkdir()
    procs = [_worker(tmp_path, storage, "shared", "recorded", 6, MARKS=str(marks)) for _ in range(3)]
    _wait(procs)
    trials = _load(storage, "shared").get_trials()
    assert len(trials) == 18
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials), [t.state for t in trials]
    assert sorted(t.number for t in trials) == list(range(18)), "trial numbers are not unique"
    assert len({t.params["x"] for t in trials}) == 18, "two workers evaluated the same setting"
    assert sorted(os.listdir(marks)) == sorted(f"trial{i}" for i in range(18)), "a trial was evaluated twice or never"
    assert len({(t.user_attrs["pid"]) for t in trials}) == 3
    assert all(len(t.intermediate_values) == 3 for t in trials)
    assert "COMPLETE 18" in _status(tmp_path, storage, "shared")


@pytest.mark.slow
def test_a_worker_killed_mid_trial_loses_nothing(storage, tmp_path):
    """After SIGKILL of a worker mid-trial: is the study loadable, its trial failed and retried, the others finished?"""
    marks = tmp_path / "marks"
    marks.mkdir()
    slow = dict(MARKS=str(marks), STEP_SECONDS="0.3")
    victim = _worker(tmp_path, storage, "killed", "recorded", 5, **slow)
    deadline = time.time() + 60
    while not any((marks / name).read_text() == str(victim.pid) for name in os.listdir(marks)):
        assert time.time() < deadline and victim.poll() is None, "the worker did not start a trial"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    others = [_worker(tmp_path, storage, "killed", "recorded", 3, **slow) for _ in range(2)]
    _wait(others)
    study = _load(storage, "killed")
    trials = study.get_trials()
    failed = [t for t in trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(failed) == 1 and "died mid-trial" in failed[0].user_attrs["failure"], [(t.number, t.state) for t in trials]
    assert failed[0].user_attrs["pid"] == victim.pid
    retries = [t for t in trials if t.user_attrs.get("retry_of") == failed[0].number]
    assert len(retries) == 1 and retries[0].state == optuna.trial.TrialState.COMPLETE
    assert retries[0].params == failed[0].params
    completed = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(completed) == 6, "the two other workers must complete 3 trials each"
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
    text = _status(tmp_path, storage, "killed")
    assert "FAIL" in text and "died mid-trial" in text and f"retry of trial {failed[0].number}" in text, text


def test_status_reports_a_stale_trial_before_any_worker_cleans_it(tmp_path):
    """Does status mark a RUNNING trial whose worker is gone as stale (journal file)?"""
    (tmp_path / "searchobjectives.py").write_text(textwrap.dedent(OBJECTIVES))
    marks = tmp_path / "marks"
    marks.mkdir()
    storage = str(tmp_path / "study.log")
    victim = _worker(tmp_path, storage, "stale", "recorded", 2, MARKS=str(marks), STEP_SECONDS="0.5")
    deadline = time.time() + 60
    while not os.listdir(marks):
        assert time.time() < deadline and victim.poll() is None
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert "stale: its worker is gone" in _status(tmp_path, storage, "stale")


@pytest.mark.slow
def test_trials_per_second_with_one_two_three_workers(storage, tmp_path):
    """How many cheap trials per second do 1, 2 and 3 workers complete? (printed; all trials must complete)"""
    figures = {}
    for workers in (1, 2, 3):
        start = time.time()
        procs = [_worker(tmp_path, storage, f"speed{workers}", "quick", 20) for _ in range(workers)]
        _wait(procs)
        elapsed = time.time() - start
        study = _load(storage, f"speed{workers}")
        assert len([t for t in study.get_trials() if t.state == optuna.trial.TrialState.COMPLETE]) == 20 * workers
        figures[workers] = 20 * workers / elapsed
    kind = "journal" if storage.endswith(".log") else "postgresql"
    line = f"{kind}: " + ", ".join(f"{w} worker(s) {r:.1f} trials/s" for w, r in figures.items()) + \
           " (20 trials per worker, process start included)"
    print(line)
    out = os.environ.get("TRAINLAB_SEARCH_SPEED")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps({"storage": kind, "trials_per_second": figures}) + "\n")


def test_bad_storage_and_objective_say_what_to_do(tmp_path):
    """Do a storage that is neither a .log file nor a URL, and an objective without ':', fail with one clear sentence?"""
    for args, message in ((["--storage", "study.db", "--objective", "m:f"], "neither a journal file"),
                          (["--storage", "s.log", "--objective", "nocolon"], "MODULE:FUNCTION")):
        done = subprocess.run([sys.executable, "-m", "trainlab.search", "worker", "--study", "s", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0 and message in done.stderr, done.stderr


def test_the_cifar_objective_reports_every_epoch(tmp_path, monkeypatch):
    """Does the lecture's Solver objective report one value per epoch to Optuna (so pruners work) and return the best?"""
    objective = search.SolverObjective(search._digits_load, search.COARSE_SPACE, num_epochs=3,
                                       training={"batch_size": 50})
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=2)
    for t in study.trials:
        assert sorted(t.intermediate_values) == [1, 2, 3] and t.value == max(t.intermediate_values.values())
