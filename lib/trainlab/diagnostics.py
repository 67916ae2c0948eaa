"""Babysitting the learning process: the lectures' rules as code, and a training doctor.

The babysitting steps, in the lectures' order (each one exercise of lecture 09):

- ``check_initial_loss``: with regularization off the first loss of a net with small weights is
  ln(C); turning regularization on must raise it.
- ``overfit_tiny``: a handful of examples, no regularization: the net must reach 100% training
  accuracy (if it cannot, the model, the loss or the update is broken).
- ``update_weight_ratio``: ||dW|| / ||W|| per parameter, healthy around 1e-3 (the Solver records
  it for every update in ``history["update_ratio"]``).
- ``layer_health``: per layer mean and std (lecture 03's ``init.layer_statistics``), % saturated
  tanh/sigmoid units, % dead ReLUs and the std of the weight gradient.
- ``detect_explosion``: the loss is NaN, inf, or more than 3x the initial loss.
- ``zero_input_baseline``: a net fed zeros must do worse than one fed the data.

The doctor: ``diagnose(history, num_classes=C, ...)`` reads a run's record (a Solver history, or the
same record collected from a PyTorch loop by ``TorchRecorder``) and returns a ``Report`` whose
``codes`` come from the fixed vocabulary ``CODES``, each finding with its evidence and the usual
fix. ``diagnose_basic`` holds the rules that need only the loss and the accuracies (the students
write their own); ``diagnose`` adds the update ratios, the loss noise and, with ``HealthStats`` in
the Solver's callbacks (or a model and data), the layer statistics.

Import graph (one way): diagnostics -> callbacks, init, solver; torch only inside TorchRecorder.
"""
import copy
import html
import math
import re

import numpy as np

from trainlab import callbacks, init
from trainlab.solver import Solver

__all__ = ["CODES", "ADVICE", "THRESHOLDS", "check_initial_loss", "overfit_tiny", "update_weight_ratio",
           "layer_health", "detect_explosion", "zero_input_baseline", "loss_noise", "diagnose_basic",
           "diagnose", "Finding", "Report", "HealthStats", "EpochLog", "TorchRecorder"]

# The fixed vocabulary of findings, in the order a report lists them.
CODES = ("initial_loss_off", "lr_too_high", "lr_too_low", "overfitting", "underfitting", "update_ratio_low",
         "update_ratio_high", "dead_relu", "saturation", "vanishing_gradients", "noisy_loss")

# code -> the usual fix (the lectures' advice)
ADVICE = {
    "initial_loss_off": "check the loss and the initialization: with small weights and no regularization the "
                        "first loss is ln(C); a much higher one means too large weights or too strong regularization",
    "lr_too_high": "lower the learning rate (by about 10x); check the preprocessing (zero-centred, scaled inputs)",
    "lr_too_low": "raise the learning rate (by about 10x) until the loss falls within the first epoch",
    "overfitting": "regularize more (L2, dropout), get more data or augment it, stop early",
    "underfitting": "make the model bigger, train longer, or regularize less",
    "update_ratio_low": "the updates are too small for the weights: raise the learning rate",
    "update_ratio_high": "the updates are too large for the weights: lower the learning rate",
    "dead_relu": "lower the learning rate, use He initialization or a leaky ReLU; check for large negative biases",
    "saturation": "use smaller initial weights (Xavier for tanh), normalize the inputs, or batch normalization",
    "vanishing_gradients": "use Xavier/He initialization, ReLU instead of sigmoid/tanh, batch normalization "
                           "or a shallower net",
    "noisy_loss": "use a bigger minibatch or a lower learning rate",
}

# The doctor's thresholds (keyword arguments of diagnose; diagnose_basic takes the first six).
THRESHOLDS = dict(
    explode_factor=3.0,          # a loss above this times the first one: explosion (the lectures' rule)
    initial_loss_factor=2.0,     # the first loss must lie within a factor of this of ln(C)
    min_decrease=0.1,            # the loss must fall by at least this fraction (a rise by as much: lr too high)
    max_gap=0.15,                # train - val accuracy above this: overfitting
    min_gap=0.03,                # ... below this with a training accuracy below min_train_acc: underfitting
    min_train_acc=0.95,
    ratio_low=1e-5,              # median update:weight ratio of a weight matrix below / above these
    ratio_high=1e-1,
    max_noise=0.3,               # loss_noise above this: noisy loss (about a batch size of 8 or less)
    dead_fraction=0.5,           # share of dead ReLUs in a layer above this
    saturated_fraction=0.3,      # share of saturated tanh/sigmoid values in a layer above this
    vanish_ratio=1e-2,           # first layer's gradient (or update ratio) below this times the largest
)
_BASIC = ("explode_factor", "initial_loss_factor", "min_decrease", "max_gap", "min_gap", "min_train_acc")
_WEIGHT = re.compile(r"W(\d+)$")


# --------------------------------------------------------------------------- the babysitting steps


def check_initial_loss(model, X, y, reg=1e3, rtol=0.05):
    """Sanity check of the loss at initialization: ln(C) without regularization, higher with it.

    The lectures' first babysitting step: with regularization off, a freshly initialized net with
    small weights gives every class the same probability, so its loss is ln(C); turning the
    regularization on (e.g. reg = 1e3) must raise it. Sets ``model.reg`` to 0 and computes
    ``model.loss(X, y)``, sets it to ``reg`` and computes it again, then restores ``model.reg``.

    Args:
        model: a trainlab model with a ``reg`` attribute and ``loss(X, y=None)``; C >= 2 is the
            number of columns of its scores ``model.loss(X)``.
        X: (N, ...) inputs; y: (N,) integer labels (not every class need occur).
        reg: regularization strength to check with (> 0).
        rtol: the loss without regularization must satisfy |loss - ln C| <= rtol * ln C.
    Returns:
        dict with "loss" (float: without regularization), "reg_loss" (float: with reg),
        "expected" (float: ln C) and "ok" (bool: the loss within the tolerance and reg_loss > loss).
    """
    num_classes = model.loss(X).shape[1]
    saved = model.reg
    try:
        model.reg = 0.0
        loss = float(model.loss(X, y)[0])
        model.reg = reg
        reg_loss = float(model.loss(X, y)[0])
    finally:
        model.reg = saved
    expected = math.log(num_classes)
    ok = abs(loss - expected) <= rtol * expected and reg_loss > loss
    return {"loss": loss, "reg_loss": reg_loss, "expected": expected, "ok": bool(ok)}


def overfit_tiny(model, X, y, lr=1e-3, num_epochs=200):
    """Overfit a tiny training set with full-batch vanilla SGD and no regularization.

    Trains a deep copy of ``model`` (``model`` itself is left unchanged) with its ``reg`` set to
    0: each epoch is one update w <- w - lr * dw of every parameter, dw the gradient of
    ``model.loss`` on the whole set (X, y). A correct model, loss and update reach 100% training
    accuracy; if they cannot, something is broken (see lecture 09).

    Args:
        model: a trainlab model (``params``, ``reg``, ``loss(X, y=None)``).
        X: (N, ...) a handful of training inputs (e.g. 20); y: (N,) their labels.
        lr: learning rate.
        num_epochs: number of full-batch updates (>= 1).
    Returns:
        dict with "losses" ((num_epochs,) float array: the loss of each update, computed before
        it), "train_acc" (float: accuracy on (X, y) after the last update) and "ok"
        (train_acc == 1.0). Compared to 1e-6 relative: the order of summation may differ.
    """
    net = copy.deepcopy(model)
    net.reg = 0.0
    tiny = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    solver = Solver(net, tiny, update_rule="sgd", optim_config={"lr": lr}, num_epochs=num_epochs,
                    batch_size=len(X), sampling="epoch", keep_best=False, explode_factor=None, progress=False)
    history = solver.train()
    train_acc = float(np.mean(np.argmax(net.loss(X), axis=1) == y))
    return {"losses": np.array(history["loss"]), "train_acc": train_acc, "ok": train_acc == 1.0}


def update_weight_ratio(before, after):
    """The update:weight ratio ||after - before|| / (||before|| + 1e-12) of every parameter.

    The norms are Euclidean over all entries (Frobenius for matrices), as the Solver records them
    in ``history["update_ratio"]``. Healthy training has ratios around 1e-3: much lower means a
    too low learning rate, much higher a too high one. The 1e-12 keeps a parameter that is all
    zeros (a bias at initialization) from dividing by zero.

    Args:
        before: dict name -> float or integer array (any shape), the parameters before an update.
        after: dict name -> array of the same shape, after it (it may hold more names).
    Returns:
        dict name -> float, one ratio for every name of ``before`` (float64 arithmetic or the
        arrays' own precision: compared to 1e-6 relative).
    """
    ratios = {}
    for name, w in before.items():
        w = np.asarray(w, dtype=float)
        step = np.asarray(after[name], dtype=float) - w
        ratios[name] = float(np.linalg.norm(step.ravel()) / (np.linalg.norm(w.ravel()) + 1e-12))
    return ratios


def layer_health(activations, activation="relu", weight_grads=None, threshold=0.97):
    """Per-layer health of a net on a batch: activation mean and std, saturated and dead shares.

    Mean and std are lecture 03's (``init.layer_statistics``: over all values of a layer). A
    unit is one entry of a sample's activation: a column of an (N, H) array, one position of one
    channel of an (N, C, H, W) map.

    Args:
        activations: list of L arrays (N, ...), each hidden layer's output after its nonlinearity.
        activation: the nonlinearity's name. "tanh" and "sigmoid" saturate, "relu" units die; for
            any other name both shares are NaN.
        weight_grads: optional list of arrays, the gradient of each layer's weights.
        threshold: a tanh value t is saturated when |t| > threshold, a sigmoid value s when
            |2 s - 1| > threshold (strictly greater).
    Returns:
        dict of (L,) float arrays: "mean", "std"; "saturated" (share of the layer's values that
        are saturated; NaN unless tanh or sigmoid); "dead" (share of the layer's units that are
        <= 0 for every sample of the batch, i.e. exactly 0 for ReLU outputs; NaN unless relu);
        and, when weight_grads is given, "grad_std" (np.std of each gradient, one per array).
    """
    means, stds = init.layer_statistics(activations)
    nan = np.full(len(activations), np.nan)
    if activation == "tanh":
        saturated = np.array([np.mean(np.abs(h) > threshold) for h in activations])
    elif activation == "sigmoid":
        saturated = np.array([np.mean(np.abs(2 * h - 1) > threshold) for h in activations])
    else:
        saturated = nan
    if activation == "relu":
        dead = np.array([np.mean(np.all(np.reshape(h, (len(h), -1)) <= 0, axis=0)) for h in activations])
    else:
        dead = nan.copy()
    health = {"mean": means, "std": stds, "saturated": saturated, "dead": dead}
    if weight_grads is not None:
        health["grad_std"] = np.array([np.std(g) for g in weight_grads])
    return health


def detect_explosion(losses, factor=3.0):
    """The lectures' early-break rule: where does the loss first blow up?

    Args:
        losses: (T,) sequence of losses, the initial loss first.
        factor: explosion threshold, a multiple of the initial loss.
    Returns:
        the index (int) of the first loss that is NaN, +-inf or greater than factor * losses[0]
        (0 when the initial loss itself is not finite), or None when there is none (or T = 0).
    """
    losses = np.asarray(losses, dtype=float)
    if losses.size == 0:
        return None
    bad = ~np.isfinite(losses) | (losses > factor * losses[0])
    if not bad.any():
        return None
    return int(np.argmax(bad))


def zero_input_baseline(model, data, **solver_kwargs):
    """Input-independent baseline: a net trained and evaluated on zeros must do worse.

    Trains two deep copies of ``model`` (itself left unchanged) with
    ``Solver(copy, data_i, **solver_kwargs).train()``: first on ``data``, then on a copy of
    ``data`` whose inputs X_train and X_val are all zeros (same shapes; labels unchanged). A
    net that does as well without its inputs has learned nothing from them.

    Args:
        model: a trainlab model.
        data: dict with X_train, y_train, X_val, y_val (other entries are passed on unchanged).
        **solver_kwargs: Solver settings used for both runs (e.g. optim_config, num_epochs,
            progress=False).
    Returns:
        dict with "data_acc" and "zero_acc" (floats: the validation accuracy of each run's last
        epoch) and "ok" (data_acc > zero_acc).
    """
    zeros = dict(data, X_train=np.zeros(np.shape(data["X_train"])), X_val=np.zeros(np.shape(data["X_val"])))
    accs = []
    for split in (data, zeros):
        history = Solver(copy.deepcopy(model), split, **solver_kwargs).train()
        accs.append(float(history["val_acc"][-1]))
    return {"data_acc": accs[0], "zero_acc": accs[1], "ok": accs[0] > accs[1]}


def loss_noise(losses, window=25):
    """How much the minibatch loss wiggles around its trend, comparably across loss levels.

    The root mean square of (loss - m) / sqrt(m * max(m, 1)), where m is the centred moving
    average of ``window`` losses. The minibatch sampling noise of a loss below 1 has a variance
    about proportional to the loss (so it is measured relative to sqrt(m)), that of a large loss a
    std about proportional to it (relative to m). The index falls like 1 / sqrt(batch size): about
    0.1 for batches of 50-100, 0.4 for 4 examples, 0.7 for single ones.

    Args:
        losses: (T,) minibatch losses; only their finite beginning is used.
        window: odd width of the moving average.
    Returns:
        float, or NaN when fewer than 3 * window finite losses are there.
    """
    losses = np.asarray(losses, dtype=float)
    bad = ~np.isfinite(losses)
    if bad.any():
        losses = losses[:int(np.argmax(bad))]
    if len(losses) < 3 * window:
        return float("nan")
    trend = np.convolve(losses, np.ones(window) / window, "valid")
    half = window // 2
    residual = losses[half:half + len(trend)] - trend
    scale = np.maximum(trend * np.maximum(trend, 1.0), 1e-12)
    return float(np.sqrt(np.mean(residual ** 2 / scale)))


def _loss_trend(losses):
    """Mean of the first and of the last tenth of the losses (at least one each)."""
    m = max(1, len(losses) // 10)
    return float(np.mean(losses[:m])), float(np.mean(losses[-m:]))


def _final_accuracies(history):
    """Mean training and validation accuracy over the last k = min(3, epochs) epochs; None when there are none."""
    train, val = history.get("train_acc"), history.get("val_acc")
    k = min(3, len(train), len(val)) if train is not None and val is not None else 0
    if k == 0:
        return None
    return float(np.mean(train[-k:])), float(np.mean(val[-k:]))


def diagnose_basic(history, num_classes, explode_factor=3.0, initial_loss_factor=2.0, min_decrease=0.1,
                   max_gap=0.15, min_gap=0.03, min_train_acc=0.95):
    """The doctor's rules that read only the losses and the accuracies of a run.

    With L = history["loss"] (one per update) and m = max(1, len(L) // 10), start = mean(L[:m])
    and end = mean(L[-m:]); train and val are the means of the last k = min(3, epochs) entries
    of history["train_acc"] and history["val_acc"] (one per epoch; epochs = the shorter of the
    two; the accuracy rules are skipped when a key is missing or empty). Codes:

    - "initial_loss_off": L[0] is not finite, or L[0] > initial_loss_factor * ln(C), or
      L[0] < ln(C) / initial_loss_factor (ties at these irrational bounds are not checked).
    - "lr_too_high": L[0] is finite and a later loss is NaN, +-inf or > explode_factor * L[0].
      Then nothing else is checked: the codes found so far are returned.
    - "lr_too_high" also when the loss rose: end > (1 + min_decrease) * start;
      "lr_too_low" when it barely moved: otherwise, if end > (1 - min_decrease) * start.
    - "overfitting": train - val > max_gap.
    - "underfitting": otherwise, if train - val < min_gap and train < min_train_acc, unless a
      learning-rate code was found (fix the rate first).

    Args:
        history: dict with "loss" and optionally "train_acc", "val_acc" (lists or arrays).
        num_classes: C >= 2.
        explode_factor, initial_loss_factor, min_decrease, max_gap, min_gap, min_train_acc: the
            thresholds above.
    Returns:
        set of codes (str); empty for a healthy run or an empty history.
    """
    losses = np.asarray(history["loss"], dtype=float)
    codes = set()
    if losses.size == 0:
        return codes
    expected = math.log(num_classes)
    first = losses[0]
    if not (np.isfinite(first) and expected / initial_loss_factor <= first <= initial_loss_factor * expected):
        codes.add("initial_loss_off")
    if _explodes_after_start(losses, explode_factor):
        codes.add("lr_too_high")
        return codes
    start, end = _loss_trend(losses)
    if end > (1 + min_decrease) * start:
        codes.add("lr_too_high")
    elif end > (1 - min_decrease) * start:
        codes.add("lr_too_low")
    accs = _final_accuracies(history)
    if accs is not None:
        train, val = accs
        if train - val > max_gap:
            codes.add("overfitting")
        elif train - val < min_gap and train < min_train_acc and not codes & {"lr_too_high", "lr_too_low"}:
            codes.add("underfitting")
    return codes


def _noise_spikes(losses, factor, max_noise, window=25):
    """(highest loss, highest moving average / its start) when an 'explosion' is only minibatch noise, else None.

    That is: every loss is finite, some exceed factor x the first, the loss is noisy
    (loss_noise > max_noise: tiny batches) and the moving average of ``window`` losses never
    exceeds factor x its first value.
    """
    if not (np.isfinite(losses).all() and _explodes_after_start(losses, factor)) or len(losses) < 3 * window:
        return None
    if not loss_noise(losses, window) > max_noise:
        return None
    trend = np.convolve(losses, np.ones(window) / window, "valid")
    rise = float(trend.max() / trend[0])
    return (float(losses.max()), rise) if rise <= factor else None


def _explodes_after_start(losses, factor):
    """The first loss is finite and a later one is NaN, +-inf or above factor times it."""
    first, later = losses[0], losses[1:]
    return bool(np.isfinite(first) and np.any(~np.isfinite(later) | (later > factor * first)))


# --------------------------------------------------------------------------- the doctor's report


class Finding:
    """One finding of the doctor: a code of CODES, the evidence (numbers from the run) and the usual fix."""

    def __init__(self, code, evidence, fix=None):
        if code not in CODES:
            raise ValueError(f"unknown finding {code!r}; the vocabulary is {CODES}")
        self.code, self.evidence, self.fix = code, evidence, fix or ADVICE[code]

    def __repr__(self):
        return f"Finding({self.code!r}, {self.evidence!r})"


class Report:
    """What ``diagnose`` found: ``codes`` (a frozenset of CODES), ``findings`` (in CODES order) and
    ``measurements`` (the numbers the rules looked at). Prints as text; renders as a table in a notebook."""

    def __init__(self, findings, measurements=None, checked=()):
        order = {code: i for i, code in enumerate(CODES)}
        self.findings = sorted(findings, key=lambda f: order[f.code])
        self.measurements = dict(measurements or {})
        self.checked = tuple(checked)

    @property
    def codes(self):
        return frozenset(f.code for f in self.findings)

    @property
    def healthy(self):
        return not self.findings

    def _summary(self):
        m = self.measurements
        updates, epochs = m.get("updates", 0), m.get("epochs", 0)
        run = (f"{updates} update{'s' * (updates != 1)}, {epochs} epoch{'s' * (epochs != 1)}, "
               f"{m.get('num_classes')} classes")
        if self.healthy:
            return f"Training doctor ({run}): no findings, the run looks healthy"
        return f"Training doctor ({run}): {len(self.findings)} finding{'s' * (len(self.findings) > 1)}"

    def __str__(self):
        lines = [self._summary()]
        width = max((len(f.code) for f in self.findings), default=0)
        for f in self.findings:
            lines.append(f"  {f.code:<{width}}  {f.evidence}")
            lines.append(f"  {'':<{width}}  fix: {f.fix}")
        if self.checked:
            lines.append(f"  checked: {', '.join(self.checked)}")
        return "\n".join(lines)

    def __repr__(self):
        return f"Report(codes={sorted(self.codes)})"

    def _repr_html_(self):
        rows = "".join(f"<tr><td><code>{html.escape(f.code)}</code></td><td>{html.escape(f.evidence)}</td>"
                       f"<td>{html.escape(f.fix)}</td></tr>" for f in self.findings)
        table = (f"<table><thead><tr><th>finding</th><th>evidence</th><th>usual fix</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>") if rows else ""
        checked = f"<p><small>checked: {html.escape(', '.join(self.checked))}</small></p>" if self.checked else ""
        return f"<div><p><b>{html.escape(self._summary())}</b></p>{table}{checked}</div>"


def _weights(names):
    """The weight matrices' names W1, W2, ... in layer order."""
    found = [(int(m.group(1)), name) for name in names if (m := _WEIGHT.match(name))]
    return [name for _, name in sorted(found)]


def _median_ratios(history):
    """Median update:weight ratio of every weight matrix over the run (finite, positive values only)."""
    medians = {}
    for name in _weights(history.get("update_ratio", {})):
        values = np.asarray(history["update_ratio"][name], dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        if values.size:
            medians[name] = float(np.median(values))
    return medians


def _probe_record(model, data, size):
    """A layer-statistics record like HealthStats's, measured now on the first validation samples."""
    X, y = data["X_val"][:size], data["y_val"][:size]
    record = {"iteration": None}
    if hasattr(model, "hidden_activations"):
        acts = model.hidden_activations(X)
        health = layer_health(acts, getattr(model, "activation", None))
        record.update(act_mean=health["mean"], act_std=health["std"], saturated=health["saturated"],
                      dead=health["dead"], activation=getattr(model, "activation", None))
    _, grads = copy.deepcopy(model).loss(X, y)  # a copy: a training-mode pass changes batchnorm statistics
    record["grad_std"] = {name: float(np.std(g)) for name, g in grads.items()}
    return record


def _fmt_layers(values):
    """'layer 1: 12%, layer 2: -' (a share per layer; - where it does not apply)."""
    return ", ".join(f"layer {i}: {v:.0%}" if np.isfinite(v) else f"layer {i}: -" for i, v in enumerate(values, start=1))


def diagnose(history, num_classes, model=None, data=None, baseline=None, **thresholds):
    """Read a training run's record and say what is wrong with it, with the evidence and the usual fix.

    Works from a Solver history alone (``solver.history``, or ``TorchRecorder(...).history`` for a
    PyTorch run): the rules of ``diagnose_basic`` on the loss and accuracies, plus
    - "update_ratio_low" / "update_ratio_high": a weight matrix's median update:weight ratio over
      the run is below ratio_low / above ratio_high (healthy: about 1e-3);
    - "noisy_loss": ``loss_noise(history["loss"]) > max_noise`` (not checked after an explosion). A
      finite "explosion" of single minibatches in such a noisy run whose moving average never
      rises above explode_factor x its start is read as noise: then the rules of
      ``diagnose_basic`` are applied without the explosion rule (tiny batches have single
      losses far above the first one without diverging);
    - "vanishing_gradients": the first layer's median update ratio is below vanish_ratio times
      the last layer's, or (with layer statistics) its weight-gradient std is below vanish_ratio
      times the largest layer's (or every weight gradient is zero);
    - with layer statistics (the last record of ``history["layer_stats"]``, from ``HealthStats`` or
      ``TorchRecorder``; else measured now on ``data["X_val"]`` when model and data are given):
      "dead_relu" (a layer has more than dead_fraction dead units) and "saturation" (a layer has
      more than saturated_fraction saturated values);
    - with model and data, the zero-input check: the trained model must do better on the
      validation data than on all-zero inputs, else "underfitting"; likewise with ``baseline``,
      a result of ``zero_input_baseline``.

    Args:
        history: the run's record (see above).
        num_classes: C.
        model, data: optional: the trained model and the data dict (X_val, y_val are used).
        baseline: optional result of ``zero_input_baseline``.
        **thresholds: overrides of THRESHOLDS (e.g. max_gap=0.1).
    Returns:
        Report.
    """
    unknown = set(thresholds) - set(THRESHOLDS)
    if unknown:
        raise ValueError(f"unknown thresholds {sorted(unknown)}; choose from {sorted(THRESHOLDS)}")
    t = dict(THRESHOLDS, **thresholds)
    losses = np.asarray(history["loss"], dtype=float)
    epochs = max(len(history.get("train_acc", ())), len(history.get("lr", ())))
    m = {"updates": len(losses), "epochs": epochs, "num_classes": num_classes}
    found = []
    basic = {k: t[k] for k in _BASIC}
    codes = diagnose_basic(history, num_classes, **basic)
    checked = ["initial loss", "explosion", "loss trend"]
    if losses.size == 0:
        return Report(found, m, checked)
    spikes = _noise_spikes(losses, t["explode_factor"], t["max_noise"])
    if spikes is not None:  # single minibatches above the threshold, their moving average not: noise, not divergence
        codes = diagnose_basic(history, num_classes, **dict(basic, explode_factor=math.inf))

    expected = math.log(num_classes)
    m["initial_loss"], m["expected_initial_loss"] = float(losses[0]), expected
    if "initial_loss_off" in codes:
        found.append(Finding("initial_loss_off", f"the first loss is {losses[0]:.4g}, expected about ln({num_classes}) "
                                                 f"= {expected:.4f} (within a factor {t['initial_loss_factor']:g})"))
    exploded = spikes is None and _explodes_after_start(losses, t["explode_factor"])
    where = None
    if exploded:  # the first later loss that blew up
        bad = ~np.isfinite(losses[1:]) | (losses[1:] > t["explode_factor"] * losses[0])
        where = 1 + int(np.argmax(bad))
    m["explosion_at"] = where
    start, end = _loss_trend(losses) if not exploded else (float(losses[0]), float(losses[where]))
    m["loss_start"], m["loss_end"] = start, end
    if exploded:
        value = losses[where]
        what = "not finite" if not np.isfinite(value) else f"over {t['explode_factor']:g} x the initial {losses[0]:.4g}"
        when = f" (epoch {int(where * epochs // len(losses)) + 1} of {epochs})" if epochs else ""
        if where <= max(10, len(losses) // 20):
            how = ", early: the first updates already blow it up"
        elif np.min(losses[:where]) < losses[0]:
            how = f", after it first fell to {np.min(losses[:where]):.4g}"
        else:
            how = ""
        found.append(Finding("lr_too_high", f"the loss is {value:.4g} at update {where} of {len(losses)}{when}: "
                                            f"{what}{how}"))
    elif "lr_too_high" in codes:
        found.append(Finding("lr_too_high", f"the loss rose from {start:.4g} to {end:.4g} over {len(losses)} updates"))
    if "lr_too_low" in codes:
        found.append(Finding("lr_too_low", f"the loss barely moved: {start:.6g} at the start, {end:.6g} at the end "
                                           f"({(end - start) / start:+.2%}) over {len(losses)} updates"))
    accs = _final_accuracies(history)
    if accs is not None:
        m["train_acc"], m["val_acc"] = accs
        m["gap"] = accs[0] - accs[1]
        checked.append("train/val gap")
    if "overfitting" in codes:
        found.append(Finding("overfitting", f"training accuracy {accs[0]:.1%}, validation {accs[1]:.1%}: a gap of "
                                            f"{accs[0] - accs[1]:.1%} (> {t['max_gap']:.0%})"))
    if "underfitting" in codes:
        found.append(Finding("underfitting", f"training accuracy {accs[0]:.1%} is about the validation accuracy "
                                             f"{accs[1]:.1%} (gap {accs[0] - accs[1]:+.1%}) and low"))

    # update:weight ratios (the Solver records them for every update)
    medians = _median_ratios(history)
    if medians:
        checked.append("update ratios")
        m["update_ratio"] = medians
        text = ", ".join(f"{name} {r:.1e}" for name, r in medians.items())
        if any(r < t["ratio_low"] for r in medians.values()):
            found.append(Finding("update_ratio_low", f"median update:weight ratio {text} (healthy ~1e-3, "
                                                     f"low < {t['ratio_low']:.0e})"))
        if any(r > t["ratio_high"] for r in medians.values()):
            found.append(Finding("update_ratio_high", f"median update:weight ratio {text} (healthy ~1e-3, "
                                                      f"high > {t['ratio_high']:.0e})"))

    # loss noise
    if not exploded:
        noise = loss_noise(losses)
        m["loss_noise"] = noise
        if np.isfinite(noise):
            checked.append("loss noise")
            if noise > t["max_noise"]:
                extra = ""
                if spikes is not None:
                    extra = (f"; single minibatch losses reach {spikes[0]:.3g} (> {t['explode_factor']:g} x the first), "
                             f"but their moving average stays within {spikes[1]:.2f} x its start: the loss wiggles rather than "
                             f"diverges")
                found.append(Finding("noisy_loss", f"the minibatch loss wiggles around its moving average with a "
                                                   f"noise index {noise:.2f} (> {t['max_noise']:g}; ~0.1 for batches of "
                                                   f"50-100){extra}"))

    # layer statistics: recorded during training, or measured now
    record = (history.get("layer_stats") or [None])[-1]
    if record is None and model is not None and data is not None:
        record = _probe_record(model, data, 500)
    vanishing = []
    weights = list(medians)
    if len(weights) >= 2 and medians[weights[0]] < t["vanish_ratio"] * medians[weights[-1]]:
        vanishing.append(f"the first layer's median update ratio {medians[weights[0]]:.1e} is "
                         f"{medians[weights[-1]] / medians[weights[0]]:.0f}x smaller than the last layer's "
                         f"{medians[weights[-1]]:.1e}")
    if record is not None:
        checked.append("layer statistics")
        m["layer_stats"] = record
        where_rec = f" (update {record['iteration']})" if record.get("iteration") is not None else ""
        dead = np.asarray(record.get("dead", []), dtype=float)
        if dead.size and np.nanmax(np.append(dead, -1.0)) > t["dead_fraction"]:
            found.append(Finding("dead_relu", f"dead ReLUs (never positive on the probe batch){where_rec}: "
                                              f"{_fmt_layers(dead)}"))
        saturated = np.asarray(record.get("saturated", []), dtype=float)
        if saturated.size and np.nanmax(np.append(saturated, -1.0)) > t["saturated_fraction"]:
            found.append(Finding("saturation", f"saturated {record.get('activation') or 'tanh/sigmoid'} values "
                                               f"(|t| > 0.97){where_rec}: {_fmt_layers(saturated)}"))
        grad_std = record.get("grad_std", {})
        stds = [grad_std[name] for name in _weights(grad_std)]
        if len(stds) >= 2:
            top = max(stds)
            if top == 0 or stds[0] < t["vanish_ratio"] * top:
                vanishing.append("every weight gradient is zero" if top == 0 else
                                 f"the first layer's weight-gradient std {stds[0]:.1e} is {top / max(stds[0], 1e-300):.0e}"
                                 f"x smaller than the largest layer's {top:.1e}{where_rec}")
    if vanishing:
        found.append(Finding("vanishing_gradients", "; ".join(vanishing)))

    # zero-input checks
    zero_checks = []
    if model is not None and data is not None:
        X_val, y_val = data["X_val"], data["y_val"]
        data_acc = float(np.mean(np.argmax(model.loss(X_val), axis=1) == y_val))
        zero_acc = float(np.mean(np.argmax(model.loss(np.zeros(np.shape(X_val))), axis=1) == y_val))
        zero_checks.append(("fed zeros", data_acc, zero_acc))
    if baseline is not None:
        zero_checks.append(("trained on zeros", baseline["data_acc"], baseline["zero_acc"]))
    for how, data_acc, zero_acc in zero_checks:
        checked.append("zero-input baseline")
        m[f"zero_input ({how})"] = (data_acc, zero_acc)
        if data_acc <= zero_acc and "underfitting" not in {f.code for f in found}:
            found.append(Finding("underfitting", f"the net does no better on the data ({data_acc:.1%}) than "
                                                 f"{how} ({zero_acc:.1%}): it has not learned to use its input"))
    return Report(found, m, checked)


# --------------------------------------------------------------------------- recorders


class HealthStats(callbacks.LayerStats):
    """``callbacks.LayerStats`` plus what the doctor needs: saturated and dead shares per layer.

    Each record of ``solver.history["layer_stats"]`` gets "saturated" and "dead" ((L-1,) arrays
    from ``layer_health`` of the probe activations, for the model's ``activation``) and
    "activation" (its name), besides LayerStats's means, stds, gradient statistics and ratios.

    Args:
        X_probe, every, keep_activations: as for LayerStats.
    """

    def __init__(self, X_probe, every=50, keep_activations=False):
        super().__init__(X_probe, every, keep_activations=True)
        self._keep = keep_activations

    def on_step_end(self, solver, grads):
        count = len(self.records)
        super().on_step_end(solver, grads)
        if len(self.records) == count or "activations" not in self.records[-1]:
            return
        record = self.records[-1]
        acts = record["activations"] if self._keep else record.pop("activations")
        activation = getattr(solver.model, "activation", None)
        health = layer_health(acts, activation)
        record.update(saturated=health["saturated"], dead=health["dead"], activation=activation)


class EpochLog:
    """Print one line per epoch in the lectures' format.

    ``Finished epoch 1 / 10: cost 2.302576, train: 0.080000, val 0.103000, lr 1.000000e-06``
    (cost: the last minibatch loss of the epoch).

    Args:
        head, tail: print only the first head and the last tail epochs (None: every epoch), with
            "..." between; an epoch the run stops after (an explosion) is always printed.
    """

    def __init__(self, head=None, tail=None):
        self.head, self.tail = head, tail
        self.lines = []

    def on_epoch_end(self, solver):
        h, epoch, total = solver.history, solver.epoch, solver.num_epochs
        line = (f"Finished epoch {epoch} / {total}: cost {h['loss'][-1]:f}, train: {h['train_acc'][-1]:f}, "
                f"val {h['val_acc'][-1]:f}, lr {h['lr'][-1]:e}")
        self.lines.append(line)
        shown = self.head is None or epoch <= self.head or epoch > total - (self.tail or 0)
        last = h["loss"][-1]
        stopping = solver.explode_factor is not None and (not np.isfinite(last) or last > solver.explode_factor * h["loss"][0])
        if shown or stopping:
            print(line)
        elif epoch == self.head + 1:
            print("...")


_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "LeakyReLU": "leaky_relu", "ELU": "elu"}


class TorchRecorder:
    """Collect a Solver-like history from a PyTorch training loop, so that ``diagnose`` reads torch runs.

    The Linear and Conv layers' parameters are named like the numpy nets' (``W1``, ``b1``, ``W2``,
    ...; other parameters keep their torch names). Forward hooks on the activation modules
    (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU, nn.ELU) capture each hidden layer's output on a
    fixed probe batch. Usage::

        recorder = TorchRecorder(net, X_probe=X_val[:500], every=50)
        for epoch in range(num_epochs):
            for X, y in batches:
                optimizer.zero_grad()
                loss = F.cross_entropy(net(X), y)
                loss.backward()
                recorder.step(optimizer, loss)       # instead of optimizer.step()
            recorder.end_epoch(train_acc, val_acc, lr)
        diagnostics.diagnose(recorder.history, num_classes=10)

    ``history`` holds "loss" (per update), "train_acc", "val_acc", "lr" (per epoch), "update_ratio"
    (name -> ratios per update) and "layer_stats" (every ``every`` updates: "iteration",
    "grad_mean", "grad_std", "update_ratio", and with a probe "act_mean", "act_std",
    "saturated", "dead", "activation") — the record the Solver with ``HealthStats`` keeps.

    Args:
        model: a torch.nn.Module.
        X_probe: optional (P, ...) tensor or array of fixed inputs for the activation statistics.
        every: record layer statistics every this many updates (0: never).
    """

    def __init__(self, model, X_probe=None, every=50):
        import torch  # only here: the rest of the library works without torch

        self.model, self.every, self.iteration = model, every, 0
        self.history = {"loss": [], "train_acc": [], "val_acc": [], "lr": [], "update_ratio": {}, "layer_stats": []}
        self.params = []
        layer, named = 0, {}
        for module in model.modules():
            if isinstance(module, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)):
                layer += 1
                named[id(module.weight)] = f"W{layer}"
                if module.bias is not None:
                    named[id(module.bias)] = f"b{layer}"
        for name, p in model.named_parameters():
            if p.requires_grad:
                self.params.append((named.get(id(p), name), p))
        for name, _ in self.params:
            self.history["update_ratio"][name] = []
        self._acts, self._capturing, self._kinds = [], False, []
        for module in model.modules():
            kind = _ACTIVATIONS.get(type(module).__name__)
            if kind is not None:
                module.register_forward_hook(self._capture)
        self.X_probe = None
        if X_probe is not None:
            device = next(model.parameters()).device
            dtype = next(model.parameters()).dtype
            self.X_probe = torch.as_tensor(np.asarray(X_probe) if not torch.is_tensor(X_probe) else X_probe,
                                           dtype=dtype).to(device)

    def _capture(self, module, inputs, output):
        if self._capturing:
            self._acts.append(output.detach().cpu().double().numpy())
            self._kinds.append(_ACTIVATIONS[type(module).__name__])

    def _probe(self):
        """Hidden activations on the probe batch in eval mode, and the activation name of each layer."""
        import torch

        was_training = self.model.training
        self._acts, self._kinds, self._capturing = [], [], True
        try:
            self.model.eval()
            with torch.no_grad():
                self.model(self.X_probe)
        finally:
            self._capturing = False
            self.model.train(was_training)
        return self._acts, self._kinds

    def step(self, optimizer, loss):
        """``optimizer.step()``, recording the loss, every parameter's update:weight ratio and, every
        ``every`` updates, the layer statistics (gradients of this update, activations of the probe)."""
        import torch

        with torch.no_grad():
            before = {name: p.detach().clone() for name, p in self.params}
            grads = {name: (p.grad.detach().double().cpu().numpy() if p.grad is not None else None)
                     for name, p in self.params}
        optimizer.step()
        ratios = {}
        with torch.no_grad():
            for name, p in self.params:
                w = before[name]
                ratios[name] = float(torch.linalg.vector_norm(p.detach() - w) / (torch.linalg.vector_norm(w) + 1e-12))
                self.history["update_ratio"][name].append(ratios[name])
        self.history["loss"].append(float(loss.detach()) if hasattr(loss, "detach") else float(loss))
        if self.every and self.iteration % self.every == 0:
            record = {"iteration": self.iteration,
                      "grad_mean": {n: float(g.mean()) for n, g in grads.items() if g is not None},
                      "grad_std": {n: float(g.std()) for n, g in grads.items() if g is not None},
                      "update_ratio": ratios}
            if self.X_probe is not None:
                acts, kinds = self._probe()
                if acts:
                    parts = [layer_health([a], kind) for a, kind in zip(acts, kinds)]
                    record.update({key: np.concatenate([p[src] for p in parts]) for key, src in
                                   (("act_mean", "mean"), ("act_std", "std"), ("saturated", "saturated"),
                                    ("dead", "dead"))})
                    record["activation"] = kinds[0] if len(set(kinds)) == 1 else "/".join(kinds)
            self.history["layer_stats"].append(record)
        self.iteration += 1

    def end_epoch(self, train_acc=None, val_acc=None, lr=None):
        """Record one epoch's accuracies and learning rate (None: not recorded)."""
        for key, value in (("train_acc", train_acc), ("val_acc", val_acc), ("lr", lr)):
            if value is not None:
                self.history[key].append(float(value))
