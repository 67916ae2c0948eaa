"""Hyperparameter search, on one machine and on many.

The lecture's exercises (references here): ``sample_log_uniform``, ``random_search``,
``grid_search``, ``coarse_to_fine``, ``best_on_border``, ``successive_halving`` and
``rank_checkpoints`` (the master's half of the worker/master pattern, whose workers are
``checkpoint_worker``). A search space is a dict ``name -> (low, high, scale)`` with scale
"log" (sampled as 10**U(log10 low, log10 high)) or "linear" (U(low, high)); an objective
returns a score, higher is better (a validation accuracy).

The distributed engine is Optuna: one command per worker process, all sharing one study::

    python -m trainlab.search worker --study NAME --storage STORAGE [--objective MODULE:FUNCTION]
        [--trials N] [--sampler random|grid|tpe] [--pruner none|median|halving] [--seed S]
    python -m trainlab.search status --study NAME --storage STORAGE
    python -m trainlab.search full --out data/search/cifar10_search.json

STORAGE is a path ending in ``.log`` (Optuna's JournalStorage with a file backend: several
processes on one machine, nothing to install) or an SQLAlchemy URL (PostgreSQL for several
machines, e.g. ``postgresql+psycopg://user@host/db``). A worker killed mid-trial leaves its
trial RUNNING; the next worker to start a trial marks it FAIL (on the journal: when its
process is gone; on a database also by Optuna's heartbeat) and enqueues the same settings
again, so nothing is lost. ``full`` runs the lecture's CIFAR-10 search with the numpy net and
writes a small JSON file the notebook plots.

Optuna 5 notes: ``create_study``/``load_study`` take keyword arguments only; log-scale floats
are ``trial.suggest_float(name, low, high, log=True)`` (``suggest_loguniform`` is gone); the
journal file backend is ``optuna.storages.journal.JournalFileBackend`` (``JournalFileStorage``
is the deprecated 3.x name).
"""
import argparse
import importlib
import itertools
import json
import os
import re
import socket
import sys
import time
import warnings

import numpy as np

STOP_FILE = "STOP"
CHECKPOINT_RE = re.compile(r"val([0-9]+\.[0-9]+)_.*")


# --------------------------------------------------------------------------- sampling and search


def sample_log_uniform(low, high, rng, size=None):
    """Log-uniform samples 10**U(log10 low, log10 high): every decade equally likely.

    Args:
        low, high: 0 < low <= high.
        rng: numpy Generator, drawn from once: ``rng.uniform(np.log10(low), np.log10(high), size)``.
        size: None (one number), an int or a shape tuple.
    Returns:
        a float (size None) or a float64 array of shape size, in [low, high].
    """
    return 10 ** rng.uniform(np.log10(low), np.log10(high), size)


def draw_params(space, rng):
    """One setting from a space: one rng.uniform draw per parameter, in the order of the space."""
    params = {}
    for name, (low, high, scale) in space.items():
        if scale == "log":
            params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
        else:
            params[name] = float(rng.uniform(low, high))
    return params


def random_search(objective, space, num_trials, rng):
    """Random search: num_trials settings drawn independently from the space, each scored once.

    Args:
        objective: f(params) -> score (higher is better); params a dict name -> float.
        space: dict name -> (low, high, scale); scale "log" (low > 0): 10**U(log10 low, log10 high),
            "linear": U(low, high).
        num_trials: number of settings, >= 0.
        rng: numpy Generator. Trial after trial, and within a trial parameter after parameter in
            the order of ``space``, one ``rng.uniform`` draw each (for "log":
            ``rng.uniform(np.log10(low), np.log10(high))``); a trial's setting is drawn completely
            before it is scored.
    Returns:
        list of (params, score) in the order tried; params values are Python floats.
    """
    results = []
    for _ in range(num_trials):
        params = draw_params(space, rng)
        results.append((params, objective(params)))
    return results


def grid_search(objective, space, points_per_dim):
    """Grid search: every combination of points_per_dim values per parameter, each scored once.

    Args:
        objective: f(params) -> score (higher is better).
        space: dict name -> (low, high, scale) as in random_search; the values of a parameter
            are evenly spaced on its scale with both ends included (``np.logspace(np.log10(low),
            np.log10(high), n)`` for "log", ``np.linspace(low, high, n)`` for "linear"; n = 1 gives low).
        points_per_dim: n >= 1.
    Returns:
        list of (params, score), n ** len(space) of them, in ``itertools.product`` order over the
        names of ``space`` (the last parameter varies fastest); params values are Python floats.
    """
    axes = []
    for low, high, scale in space.values():
        if scale == "log":
            axes.append(np.logspace(np.log10(low), np.log10(high), points_per_dim))
        else:
            axes.append(np.linspace(low, high, points_per_dim))
    results = []
    for values in itertools.product(*axes):
        params = {name: float(value) for name, value in zip(space, values)}
        results.append((params, objective(params)))
    return results


def coarse_to_fine(objective, space, stages, rng, top_k=3):
    """Random search in stages that narrow the ranges around the best results and train longer.

    Args:
        objective: f(params, num_epochs) -> score (higher is better).
        space: the first stage's ranges, as in random_search.
        stages: list of (num_trials, num_epochs), num_trials >= 1: each stage is
            ``random_search(lambda p: objective(p, num_epochs), its space, num_trials, rng)``.
        rng: numpy Generator, shared by the stages (drawn as random_search, stage after stage).
        top_k: after a stage, each parameter's next range is [min, max] of its values among
            that stage's top_k best results (ties: the earlier trial first; all of them if
            fewer), with the same scale.
    Returns:
        list with one dict per stage: {"space": the ranges searched, "num_epochs": int,
        "results": [(params, score), ...] in the order tried}.
    """
    history = []
    for num_trials, num_epochs in stages:
        results = random_search(lambda params: objective(params, num_epochs), space, num_trials, rng)
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
        best = sorted(results, key=lambda result: result[1], reverse=True)[:top_k]
        space = {name: (min(p[name] for p, _ in best), max(p[name] for p, _ in best), scale)
                 for name, (_, _, scale) in space.items()}
    return history


def best_on_border(results, space, margin=0.1):
    """Which parameters of the best result lie at an edge of their range (search further that way).

    Args:
        results: list of (params, score), at least one; the best is the first with the highest score.
        space: the ranges searched, dict name -> (low, high, scale) with low < high; "log" ranges
            are measured in log10.
        margin: fraction of a range's width: a value within margin * (high - low) of low (or of
            high), both inclusive, is on the border.
    Returns:
        dict name -> "low" or "high" for each parameter on a border (empty: none); "low" when
        both apply (margin >= 0.5).
    """
    params = max(results, key=lambda result: result[1])[0]
    border = {}
    for name, (low, high, scale) in space.items():
        value = params[name]
        if scale == "log":
            low, high, value = np.log10(low), np.log10(high), np.log10(value)
        width = margin * (high - low)
        if value - low <= width:
            border[name] = "low"
        elif high - value <= width:
            border[name] = "high"
    return border


def successive_halving(objective, configs, min_epochs=1, eta=3):
    """Successive halving: train every config briefly, keep the best 1/eta, give them eta x more epochs.

    Rung r trains its configs for min_epochs * eta**r epochs; the next rung keeps the
    max(1, len(rung) // eta) best of the rung (ties: the lower index); the last rung has one config.

    Args:
        objective: f(params, num_epochs) -> score (higher is better).
        configs: list of params dicts, at least one.
        min_epochs: epochs of the first rung, >= 1.
        eta: reduction factor, >= 2.
    Returns:
        best: the index in configs of the last survivor.
        rungs: list with one list per rung of (index, num_epochs, score), indices increasing.
    """
    alive, rungs, num_epochs = list(range(len(configs))), [], min_epochs
    while True:
        rung = [(i, num_epochs, objective(configs[i], num_epochs)) for i in alive]
        rungs.append(rung)
        if len(alive) == 1:
            return alive[0], rungs
        ranked = sorted(rung, key=lambda entry: entry[2], reverse=True)
        alive = sorted(i for i, _, _ in ranked[:max(1, len(alive) // eta)])
        num_epochs *= eta


# --------------------------------------------------------------------------- worker / master on a shared folder


def checkpoint_name(val_acc, tag):
    """File name of a checkpoint: the validation accuracy first, e.g. 'val0.5320_lr1.2e-04_w3.npz'."""
    return f"val{val_acc:.4f}_{tag}.npz"


def rank_checkpoints(names):
    """Checkpoint file names ranked by the validation accuracy their names hold, best first.

    Args:
        names: iterable of file names (no folders). A checkpoint's name is "val", the accuracy as
            digits.digits, "_", then anything (``f"val{val_acc:.4f}_{tag}.npz"``, e.g.
            "val0.5320_lr1.2e-04.npz"); every other name (a "STOP" file, "notes.txt", a
            half-written "tmp-..." file) is ignored.
    Returns:
        list of (val_acc, name), val_acc a float; best first, ties in name order.
    """
    found = []
    for name in names:
        match = re.fullmatch(r"val([0-9]+\.[0-9]+)_.*", name, flags=re.DOTALL)
        if match:
            found.append((float(match.group(1)), name))
    return sorted(found, key=lambda entry: (-entry[0], entry[1]))


def checkpoint_worker(folder, objective, space, num_trials, seed, worker="w0"):
    """One worker of the lectures' worker/master pattern on a shared folder.

    Until ``num_trials`` are done or the master's STOP file appears: draw a setting from
    ``space`` (as random_search), train it with ``objective(params) -> (val_acc, arrays)``, and
    save the arrays (plus the setting) to ``folder/checkpoint_name(val_acc, tag)``. The file is
    written under a temporary name and renamed, so the master never reads half a checkpoint.

    Returns:
        list of the file names written.
    """
    rng = np.random.default_rng(seed)
    written = []
    for trial in range(num_trials):
        if os.path.exists(os.path.join(folder, STOP_FILE)):
            break
        params = draw_params(space, rng)
        val_acc, arrays = objective(params)
        tag = "_".join(f"{k}{v:.2e}" for k, v in params.items()) + f"_{worker}t{trial}"
        tmp = os.path.join(folder, f"tmp-{worker}-{trial}.npz")
        np.savez(tmp, **arrays, **{f"param_{k}": v for k, v in params.items()})
        name = checkpoint_name(val_acc, tag)
        os.replace(tmp, os.path.join(folder, name))
        written.append(name)
    return written


class Master:
    """The master of the worker/master pattern: lists and ranks the checkpoints, stops the workers."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def ranking(self):
        """[(val_acc, name), ...] of the checkpoints so far, best first."""
        return rank_checkpoints(os.listdir(self.folder))

    def best(self):
        """(val_acc, the loaded checkpoint as a dict of arrays), or None when there is none yet."""
        ranking = self.ranking()
        if not ranking:
            return None
        with np.load(os.path.join(self.folder, ranking[0][1])) as f:
            return ranking[0][0], dict(f)

    def stop(self):
        """Ask every worker to stop after its current trial (a STOP file in the folder)."""
        open(os.path.join(self.folder, STOP_FILE), "w").close()

    def prune(self, keep=5):
        """Delete all but the keep best checkpoints; returns the names deleted."""
        doomed = [name for _, name in self.ranking()[keep:]]
        for name in doomed:
            os.remove(os.path.join(self.folder, name))
        return doomed


# --------------------------------------------------------------------------- toy objectives


def bergstra_bengio(params):
    """A score where one parameter matters much more than the other (Bergstra & Bengio 2012).

    ``important`` in [0, 1] has a peak of height 1 at 0.37 (width 0.15); ``unimportant`` in
    [0, 1] moves the score by at most 0.02.
    """
    x, y = params["important"], params["unimportant"]
    return float(np.exp(-((x - 0.37) / 0.15) ** 2) + 0.02 * np.sin(3 * y))


# --------------------------------------------------------------------------- the numpy 2-layer net on CIFAR-10

# the lectures' ranges (zero-centred raw pixels, so the rates are those of the slides)
COARSE_SPACE = {"lr": (1e-6, 1e-3, "log"), "reg": (1e-5, 1e5, "log")}
FINE_SPACE = {"lr": (1e-4, 1e-3, "log"), "reg": (1e-4, 1.0, "log")}
TRAINING = dict(hidden=50, update_rule="sgd_momentum", momentum=0.9, lr_decay=0.95, batch_size=200, weight_scale=1e-4)


def cifar10_features(num_train=49000, num_val=1000, num_test=1000, pca=None, flip=False, data_dir=None):
    """CIFAR-10 (the CS231n split) as flat float vectors, zero-centred with the training mean image.

    Args:
        num_train, num_val, num_test: split sizes (``data.cifar10_splits``).
        pca: None, or k: project onto the top k principal axes of the training data (a rotation
            that keeps the pixel scale, so the lectures' learning rates still apply; k = 200
            keeps about 95% of the variance and makes an epoch about 15x cheaper).
        flip: add a horizontally flipped copy of every training image (lecture 08), before fitting.
    Returns:
        dict X_train (num_train or 2 num_train, 3072 or k), y_train, X_val, y_val, X_test, y_test;
        every statistic is fitted on the training images only.
    """
    from trainlab import data as data_lib

    splits = data_lib.cifar10_splits(num_train, num_val, num_test, data_dir=data_dir)
    if flip:
        splits["X_train"] = np.concatenate([splits["X_train"], splits["X_train"][:, :, ::-1]])
        splits["y_train"] = np.concatenate([splits["y_train"], splits["y_train"]])
    flat = {k: v.reshape(len(v), -1).astype(np.float64) if k.startswith("X") else v for k, v in splits.items()}
    mean = flat["X_train"].mean(axis=0)
    for key in ("X_train", "X_val", "X_test"):
        flat[key] = flat[key] - mean
    if pca:
        X = flat["X_train"]
        eigvals, eigvecs = np.linalg.eigh(X.T @ X / len(X))
        basis = eigvecs[:, ::-1][:, :pca]
        for key in ("X_train", "X_val", "X_test"):
            flat[key] = flat[key] @ basis
    return flat


def train_two_layer(data, lr, reg, num_epochs, seed=0, callbacks=(), training=None):
    """The lecture's net (affine - ReLU - affine - softmax, 50 hidden) trained by the Solver.

    Args:
        data: dict X_train, y_train, X_val, y_val (flat features).
        lr, reg: the searched hyperparameters.
        num_epochs: epochs of training.
        callbacks: Solver callbacks (e.g. reporting to Optuna).
        training: overrides of TRAINING (hidden, update_rule, momentum, lr_decay, batch_size, weight_scale).
    Returns:
        the trained Solver (``solver.best_val_acc``, ``solver.history``).
    """
    from trainlab.models import FullyConnectedNet
    from trainlab.solver import Solver

    cfg = {**TRAINING, **(training or {})}
    model = FullyConnectedNet([cfg["hidden"]], data["X_train"].shape[1], num_classes=10,
                              weight_scale=cfg["weight_scale"], reg=reg, seed=seed)
    optim_config = {"lr": lr}
    if cfg["update_rule"] != "sgd":
        optim_config["momentum"] = cfg["momentum"]
    solver = Solver(model, data, update_rule=cfg["update_rule"], optim_config=optim_config,
                    lr_decay=cfg["lr_decay"], batch_size=cfg["batch_size"], num_epochs=num_epochs,
                    callbacks=list(callbacks), seed=seed, progress=False, update_ratio_every=0)
    with np.errstate(all="ignore"):  # a diverging rate overflows; the Solver stops it and we score it
        solver.train()
    return solver


class OptunaReport:
    """Solver callback: ``trial.report(val_acc, epoch)`` after every epoch, and prune when told to."""

    def __init__(self, trial):
        self.trial = trial

    def on_epoch_end(self, solver):
        import optuna

        self.trial.report(solver.history["val_acc"][-1], solver.epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {solver.epoch}")


class SolverObjective:
    """An Optuna objective ``f(trial) -> best validation accuracy`` training the 2-layer net.

    Args:
        load: function () -> data dict (called once per process, on the first trial).
        space: dict name -> (low, high, scale) for lr and reg.
        num_epochs: epochs per trial (reported to the pruner one by one).
        grid: values per parameter for ``--sampler grid`` (default: 4 per parameter, evenly on its scale).
        training: overrides of TRAINING for train_two_layer.
    """

    def __init__(self, load, space=None, num_epochs=5, grid=None, training=None):
        self.load, self.space, self.num_epochs = load, space or COARSE_SPACE, num_epochs
        self.training = training
        self.grid = grid or {name: [float(v) for v in np.logspace(np.log10(lo), np.log10(hi), 4)]
                             for name, (lo, hi, _) in self.space.items()}
        self._data = None

    def __call__(self, trial):
        if self._data is None:
            self._data = self.load()
        params = {name: trial.suggest_float(name, low, high, log=scale == "log")
                  for name, (low, high, scale) in self.space.items()}
        solver = train_two_layer(self._data, params["lr"], params["reg"], self.num_epochs,
                                 seed=trial.number, callbacks=[OptunaReport(trial)], training=self.training)
        return solver.best_val_acc


def _cifar_from_env():
    return cifar10_features(int(os.environ.get("TRAINLAB_SEARCH_TRAIN", 49000)))


# the default objective of ``worker``: the lecture's coarse search on CIFAR-10 (TRAINLAB_SEARCH_EPOCHS, _TRAIN)
cifar10_objective = SolverObjective(_cifar_from_env, COARSE_SPACE, int(os.environ.get("TRAINLAB_SEARCH_EPOCHS", 5)))


def _digits_load():
    from trainlab import data as data_lib

    X, y = data_lib.load_digits()
    X = X.reshape(len(X), -1) * 255.0  # the pixel scale of CIFAR-10, so the same ranges apply
    X_train, y_train, X_val, y_val = data_lib.train_val_split(X, y, 0.3, seed=0)
    mean = X_train.mean(axis=0)
    return {"X_train": X_train - mean, "y_train": y_train, "X_val": X_val - mean, "y_val": y_val}


# a cheap objective with the same shape (seconds per trial): the 2-layer net on the bundled digits
digits_objective = SolverObjective(_digits_load, COARSE_SPACE, 5, training={"batch_size": 50})


# --------------------------------------------------------------------------- the Optuna engine


def open_storage(storage):
    """An Optuna storage from the command line's STORAGE: a journal file (``*.log``) or an SQLAlchemy URL."""
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    if storage.endswith(".log"):
        return JournalStorage(JournalFileBackend(storage))
    if "://" not in storage:
        raise SystemExit(f"STORAGE {storage!r} is neither a journal file (a path ending in .log) "
                         f"nor an SQLAlchemy URL (e.g. postgresql+psycopg://user@host/db)")
    if storage.startswith("sqlite"):
        print("warning: Optuna advises against SQLite for parallel workers; use a .log journal file "
              "on one machine or PostgreSQL across machines", file=sys.stderr)
    import sqlalchemy.exc

    for attempt in range(5):
        try:
            with warnings.catch_warnings():  # the heartbeat's arguments are marked experimental
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                # the heartbeat lets a worker on another machine see that a trial's worker died
                return optuna.storages.RDBStorage(
                    storage, heartbeat_interval=10, grace_period=30,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1))
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            # workers started together race to create the tables: the loser retries on the tables now there
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_trials(study):
    """RUNNING trials whose worker process (on this machine) is gone: killed mid-trial."""
    import optuna

    host = socket.gethostname()
    return [t for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
            if t.user_attrs.get("host") == host and "pid" in t.user_attrs
            and not _process_alive(int(t.user_attrs["pid"]))]


def fail_stale_trials(study):
    """Mark the stale trials FAIL and enqueue their settings again; returns the numbers failed.

    Two workers may find the same stale trial: only the one whose FAIL lands first (the other
    gets UpdateFinishedTrialError) enqueues the retry, so a setting is never retried twice.
    """
    import optuna

    failed = []
    for trial in stale_trials(study):
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "failure",
                                               f"worker {trial.user_attrs['host']}:{trial.user_attrs['pid']} died mid-trial")
            study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number}, skip_if_exists=False)
        failed.append(trial.number)
    return failed


def load_objective(spec):
    """The callable named 'module:function' (the module importable from the current folder too)."""
    if ":" not in spec:
        raise SystemExit(f"--objective must be MODULE:FUNCTION, got {spec!r}")
    module_name, function = spec.split(":", 1)
    sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise SystemExit(f"--objective {spec}: cannot import {module_name} ({err})") from None
    finally:
        sys.path.pop(0)
    try:
        return getattr(module, function)
    except AttributeError:
        raise SystemExit(f"module {module_name} has no {function}") from None


def make_sampler(name, objective, seed=None):
    import optuna

    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)  # liar: parallel workers spread out
    if name == "grid":
        grid = getattr(objective, "grid", None)
        if grid is None:
            raise SystemExit("--sampler grid needs the objective to have a .grid attribute (name -> list of values)")
        return optuna.samplers.GridSampler(grid, seed=seed)
    raise SystemExit(f"unknown sampler {name!r}: choose random, grid or tpe")


def make_pruner(name):
    import optuna

    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    raise SystemExit(f"unknown pruner {name!r}: choose none, median or halving")


def run_worker(study_name, storage, objective, num_trials, sampler="random", pruner="none", seed=None):
    """One worker: create or join the study and run num_trials trials of it (see the module docstring).

    Before each trial, stale trials of dead workers are failed and re-enqueued. Returns the study.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(storage)
    fn = load_objective(objective) if isinstance(objective, str) else objective
    study = optuna.create_study(study_name=study_name, storage=storage, direction="maximize",
                                sampler=make_sampler(sampler, fn, seed), pruner=make_pruner(pruner),
                                load_if_exists=True)
    host, pid = socket.gethostname(), os.getpid()

    def tagged(trial):
        trial.set_user_attr("host", host)
        trial.set_user_attr("pid", pid)
        return fn(trial)

    for _ in range(num_trials):
        fail_stale_trials(study)
        study.optimize(tagged, n_trials=1, gc_after_trial=False)
    return study


def status_lines(study_name, storage):
    """The study as text: one line per trial (state, value, params, worker), counts and the best."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    trials = study.get_trials(deepcopy=False)
    stale = {t.number for t in stale_trials(study)}
    lines = [f"study {study_name}: {len(trials)} trials"]
    for t in trials:
        state = t.state.name + (" (stale: its worker is gone)" if t.number in stale else "")
        value = "" if t.value is None else f"{t.value:.4f}"
        params = " ".join(f"{k}={v:.3g}" for k, v in t.params.items())
        notes = [t.user_attrs[k] for k in ("failure",) if k in t.user_attrs]
        retry_of = t.user_attrs.get("retry_of", optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(t))
        if retry_of is not None:
            notes.append(f"retry of trial {retry_of}")
        worker = f"{t.user_attrs.get('host', '?')}:{t.user_attrs.get('pid', '?')}"
        lines.append(f"  #{t.number:<4} {state:<10} {value:>7}  {params}  [{worker}]" + (f"  {'; '.join(notes)}" if notes else ""))
    counts = {}
    for t in trials:
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    lines.append("states: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if any(t.state == optuna.trial.TrialState.COMPLETE for t in trials):
        best = study.best_trial
        lines.append(f"best: trial #{best.number} value {best.value:.4f} "
                     + " ".join(f"{k}={v:.3g}" for k, v in best.params.items()))
    else:
        lines.append("best: no completed trial yet")
    return lines


# --------------------------------------------------------------------------- the full CIFAR-10 search


def full_search(out, coarse_trials=40, coarse_epochs=5, fine_trials=30, fine_epochs=10, final_epochs=60,
                num_train=49000, pca=200, flip=True, seed=0, log=print):
    """The lecture's CIFAR-10 search with the numpy net: coarse, fine, then a longer final training.

    Coarse: ``coarse_trials`` settings from COARSE_SPACE, ``coarse_epochs`` epochs each; fine:
    ``fine_trials`` from FINE_SPACE (the lectures' narrowed ranges), ``fine_epochs`` each; final:
    the best fine setting for ``final_epochs``. The data: ``cifar10_features(num_train, pca=pca,
    flip=flip)`` (zero-centred, PCA to 200 dimensions, flipped copies). Writes ``out`` (JSON, rewritten after every
    trial) with every trial, the best settings, the final curves, the times and the machine.
    """
    rng = np.random.default_rng(seed)
    start = time.time()
    data = cifar10_features(num_train, pca=pca, flip=flip)
    record = {"training": TRAINING, "num_train": num_train, "pca": pca, "flip": flip, "seed": seed,
              "preprocessing_seconds": time.time() - start, "coarse_space": COARSE_SPACE,
              "fine_space": FINE_SPACE, "stages": [], "machine": f"{os.cpu_count()} CPUs, {socket.gethostname()}"}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)

    def save():
        with open(out + ".tmp", "w") as f:
            json.dump(record, f, indent=1)
        os.replace(out + ".tmp", out)

    for stage, space, trials, epochs in (("coarse", COARSE_SPACE, coarse_trials, coarse_epochs),
                                         ("fine", FINE_SPACE, fine_trials, fine_epochs)):
        entry = {"name": stage, "num_epochs": epochs, "trials": []}
        record["stages"].append(entry)
        t0 = time.time()
        for i in range(trials):
            params = draw_params(space, rng)
            solver = train_two_layer(data, params["lr"], params["reg"], epochs, seed=i)
            entry["trials"].append({**params, "val_acc": solver.best_val_acc,
                                    "epochs_run": len(solver.history["val_acc"])})
            entry["seconds"] = time.time() - t0
            log(f"{stage} {i + 1}/{trials}: lr {params['lr']:.2e} reg {params['reg']:.2e} "
                f"val {solver.best_val_acc:.3f} ({time.time() - start:.0f} s)")
            save()
        results = [({"lr": t["lr"], "reg": t["reg"]}, t["val_acc"]) for t in entry["trials"]]
        entry["border"] = best_on_border(results, space)
    fine = record["stages"][1]["trials"]
    best = max(fine, key=lambda t: t["val_acc"])
    t0 = time.time()
    solver = train_two_layer(data, best["lr"], best["reg"], final_epochs, seed=0)
    test_acc = solver.check_accuracy(data["X_test"], data["y_test"])
    record["final"] = {"lr": best["lr"], "reg": best["reg"], "num_epochs": final_epochs,
                       "best_val_acc": solver.best_val_acc, "test_acc": test_acc,
                       "val_acc": solver.history["val_acc"], "train_acc": solver.history["train_acc"],
                       "seconds": time.time() - t0}
    record["total_seconds"] = time.time() - start
    save()
    log(f"final: lr {best['lr']:.3e} reg {best['reg']:.3e}, {final_epochs} epochs: best val "
        f"{solver.best_val_acc:.3f}, test {test_acc:.3f}; total {record['total_seconds'] / 60:.1f} min")
    return record


# --------------------------------------------------------------------------- command line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m trainlab.search", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker", help="run N trials of a shared Optuna study",
                       epilog="example: python -m trainlab.search worker --study cifar --storage search.log --trials 10")
    w.add_argument("--study", required=True)
    w.add_argument("--storage", required=True, help="a journal file (path ending in .log) or an SQLAlchemy URL")
    w.add_argument("--objective", default="trainlab.search:cifar10_objective", help="MODULE:FUNCTION, f(trial) -> float")
    w.add_argument("--trials", type=int, default=10)
    w.add_argument("--sampler", default="random", choices=("random", "grid", "tpe"))
    w.add_argument("--pruner", default="none", choices=("none", "median", "halving"))
    w.add_argument("--seed", type=int, default=None, help="sampler seed (default: fresh per worker)")
    s = sub.add_parser("status", help="print the trials of a study and the best",
                       epilog="example: python -m trainlab.search status --study cifar --storage search.log")
    s.add_argument("--study", required=True)
    s.add_argument("--storage", required=True)
    f = sub.add_parser("full", help="the lecture's full CIFAR-10 search with the numpy net (minutes on 2 cores)",
                       epilog="example: python -m trainlab.search full --out data/search/cifar10_search.json")
    f.add_argument("--out", required=True)
    f.add_argument("--coarse-trials", type=int, default=40)
    f.add_argument("--coarse-epochs", type=int, default=5)
    f.add_argument("--fine-trials", type=int, default=30)
    f.add_argument("--fine-epochs", type=int, default=10)
    f.add_argument("--final-epochs", type=int, default=60)
    f.add_argument("--num-train", type=int, default=49000)
    f.add_argument("--pca", type=int, default=200, help="principal components kept (0: all 3072 pixels)")
    f.add_argument("--no-flip", action="store_true", help="do not add horizontally flipped training images")
    f.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "worker":
        if args.trials < 1:
            parser.error("--trials must be at least 1")
        run_worker(args.study, args.storage, args.objective, args.trials, args.sampler, args.pruner, args.seed)
    elif args.command == "status":
        import optuna

        try:
            print("\n".join(status_lines(args.study, args.storage)))
        except KeyError:
            raise SystemExit(f"no study {args.study!r} in {args.storage}") from None
        del optuna
    else:
        full_search(args.out, args.coarse_trials, args.coarse_epochs, args.fine_trials, args.fine_epochs,
                    args.final_epochs, args.num_train, args.pca or None, not args.no_flip, args.seed)


if __name__ == "__main__":
    main()
