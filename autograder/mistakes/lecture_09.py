"""Typical wrong answers for lecture 09 (babysitting the learning process).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES lists correct answers written differently from the reference (each must pass);
EQUIVALENT_MUTANTS records the generated mutants no test can tell from the answer, with a reason.
"""

_INITIAL = '''
def check_initial_loss(model, X, y, reg=1e3, rtol=0.05):
    num_classes = {classes}
    saved = model.reg
    model.reg = {first_reg}
    loss = float(model.loss(X, y)[0])
    model.reg = reg
    reg_loss = float(model.loss(X, y)[0])
    {restore}
    expected = {expected}
    ok = {ok}
    return {{"loss": loss, "reg_loss": reg_loss, "expected": expected, "ok": bool(ok)}}
'''


def _initial(classes="model.loss(X).shape[1]", first_reg="0.0", restore="model.reg = saved",
             expected="math.log(num_classes)", ok="abs(loss - expected) <= rtol * expected and reg_loss > loss"):
    return _INITIAL.format(classes=classes, first_reg=first_reg, restore=restore, expected=expected, ok=ok)


_OVERFIT = '''
def overfit_tiny(model, X, y, lr=1e-3, num_epochs=200):
    net = {net}
    net.reg = {reg}
    tiny = {{"X_train": X, "y_train": y, "X_val": X, "y_val": y}}
    solver = Solver(net, tiny, update_rule="sgd", optim_config={{"lr": lr}}, num_epochs=num_epochs,
                    {options}progress=False)
    history = solver.train()
    train_acc = {accuracy}
    return {{"losses": np.array(history["loss"]), "train_acc": train_acc, "ok": train_acc == 1.0}}
'''
_FULL_BATCH = 'batch_size=len(X), sampling="epoch", keep_best=False, explode_factor=None, '
_FINAL_ACC = "float(np.mean(np.argmax(net.loss(X), axis=1) == y))"


def _overfit(net="copy.deepcopy(model)", reg="0.0", options=_FULL_BATCH, accuracy=_FINAL_ACC):
    return _OVERFIT.format(net=net, reg=reg, options=options, accuracy=accuracy)


_EXPLOSION = '''
def detect_explosion(losses, factor=3.0):
    losses = np.asarray(losses, dtype=float)
    if losses.size == 0:
        return None
    bad = {bad}
    if not bad.any():
        return None
    return {result}
'''


def _explosion(bad="~np.isfinite(losses) | (losses > factor * losses[0])", result="int(np.argmax(bad))"):
    return _EXPLOSION.format(bad=bad, result=result)


_RATIO = '''
def update_weight_ratio(before, after):
    ratios = {{}}
    for name, w in before.items():
        w = np.asarray(w, dtype=float)
        new = np.asarray(after[name], dtype=float)
        step = new - w
        ratios[name] = {ratio}
    return ratios
'''


def _ratio(ratio):
    return _RATIO.format(ratio=ratio)


_HEALTH = '''
def layer_health(activations, activation="relu", weight_grads=None, threshold=0.97):
    means, stds = {stats}
    nan = np.full(len(activations), np.nan)
    if activation == "tanh":
        saturated = np.array([np.mean(np.abs(h) {cmp} threshold) for h in activations])
    elif activation == "sigmoid":
        saturated = np.array([np.mean({sigmoid}) for h in activations])
    else:
        saturated = nan
    if activation == "relu":
        dead = np.array([{dead} for h in activations])
    else:
        dead = nan
    health = {{"mean": means, "std": stds, "saturated": saturated, "dead": dead}}
    if weight_grads is not None:
        health["grad_std"] = np.array([{grad} for g in weight_grads])
    return health
'''


def _health(stats="init.layer_statistics(activations)", cmp=">", sigmoid="np.abs(2 * h - 1) > threshold",
            dead="np.mean(np.all(np.reshape(h, (len(h), -1)) <= 0, axis=0))", grad="np.std(g)"):
    return _HEALTH.format(stats=stats, cmp=cmp, sigmoid=sigmoid, dead=dead, grad=grad)


_BASELINE = '''
def zero_input_baseline(model, data, **solver_kwargs):
    {zeros}
    accs = []
    for split in (data, zeros):
        solver = Solver({net}, split, **{kwargs})
        history = solver.train()
        accs.append({acc})
    return {{"data_acc": accs[0], "zero_acc": accs[1], "ok": accs[0] > accs[1]}}
'''
_ZEROS = 'zeros = dict(data, X_train=np.zeros(np.shape(data["X_train"])), X_val=np.zeros(np.shape(data["X_val"])))'


def _baseline(zeros=_ZEROS, net="copy.deepcopy(model)", kwargs="solver_kwargs", acc='float(history["val_acc"][-1])'):
    return _BASELINE.format(zeros=zeros, net=net, kwargs=kwargs, acc=acc)


_DIAGNOSE = '''
def diagnose_basic(history, num_classes, explode_factor=3.0, initial_loss_factor=2.0, min_decrease=0.1,
                   max_gap=0.15, min_gap=0.03, min_train_acc=0.95):
    losses = np.asarray(history["loss"], dtype=float)
    codes = set()
    if losses.size == 0:
        return codes
    expected = {expected}
    first = losses[0]
    if not (np.isfinite(first) and expected / initial_loss_factor <= first <= initial_loss_factor * expected):
        codes.add("initial_loss_off")
    later = losses[1:]
    if np.isfinite(first) and np.any(~np.isfinite(later) | (later > explode_factor * {reference})):
        codes.add("lr_too_high")
        return codes
    m = max(1, len(losses) // 10)
    start, end = np.mean(losses[:m]), np.mean(losses[-m:])
{trend}
    train_accs, val_accs = history.get("train_acc"), history.get("val_acc")
    k = min({k}, len(train_accs), len(val_accs)) if train_accs is not None and val_accs is not None else 0
    if k > 0:
        train, val = np.mean(train_accs[-k:]), np.mean(val_accs[-k:])
        if train - val > max_gap:
            codes.add("overfitting")
        elif train - val < min_gap and train < min_train_acc{triage}:
            codes.add("underfitting")
    return codes
'''
_TREND = '''    if end > (1 + min_decrease) * start:
        codes.add("lr_too_high")
    elif end > (1 - min_decrease) * start:
        codes.add("lr_too_low")'''
_TRIAGE = ' and "lr_too_high" not in codes and "lr_too_low" not in codes'


def _diagnose(expected="math.log(num_classes)", reference="first", trend=_TREND, k="3", triage=_TRIAGE):
    return _DIAGNOSE.format(expected=expected, reference=reference, trend=trend, k=k, triage=triage)


MISTAKES = {
    "check_initial_loss": [
        ("C from the labels that occur (len(np.unique(y))) instead of the width of the scores",
         _initial(classes="len(np.unique(y))")),
        ("the first loss with the model's own regularization, not with reg = 0", _initial(first_reg="model.reg")),
        ("model.reg left at reg: the model is not restored", _initial(restore="pass")),
        ("ok checks only the loss, not that regularization raises it",
         _initial(ok="abs(loss - expected) <= rtol * expected")),
        ("ln C written as log10(C)", _initial(expected="math.log10(num_classes)")),
        ("tolerance relative to the loss instead of ln C", _initial(ok="abs(loss - expected) <= rtol * loss and reg_loss > loss")),
    ],
    "overfit_tiny": [
        ("trains the caller's model instead of a copy", _overfit(net="model")),
        ("leaves the regularization on", _overfit(reg="net.reg")),
        ("the Solver's default minibatches (100 drawn with replacement) instead of the full batch",
         _overfit(options='keep_best=False, explode_factor=None, ')),
        ("keeps the Solver's default keep_best: the best epoch's weights, not the last update's",
         _overfit(options='batch_size=len(X), sampling="epoch", explode_factor=None, ')),
        ("the accuracy before the last update (the history's last epoch is measured after it, but predicting "
         "with the weights of one update earlier)", '''
def overfit_tiny(model, X, y, lr=1e-3, num_epochs=200):
    net = copy.deepcopy(model)
    net.reg = 0.0
    losses = []
    for _ in range(num_epochs):
        train_acc = float(np.mean(np.argmax(net.loss(X), axis=1) == y))
        loss, grads = net.loss(X, y)
        losses.append(loss)
        for name in net.params:
            net.params[name] = net.params[name] - lr * grads[name]
    return {"losses": np.array(losses), "train_acc": train_acc, "ok": train_acc == 1.0}
'''),
    ],
    "detect_explosion": [
        ("compares each loss with the previous one instead of the initial one", '''
def detect_explosion(losses, factor=3.0):
    losses = np.asarray(losses, dtype=float)
    if losses.size == 0:
        return None
    for i, loss in enumerate(losses):
        if not np.isfinite(loss) or (i > 0 and loss > factor * losses[i - 1]):
            return i
    return None
'''),
        ("only NaN counts: an infinite loss slips through",
         _explosion(bad="np.isnan(losses) | (losses > factor * losses[0])")),
        ("exactly factor x the initial loss already counts (>=)",
         _explosion(bad="~np.isfinite(losses) | (losses >= factor * losses[0])")),
        ("returns whether it exploded instead of where", _explosion(result="True")),
        ("against the lowest loss so far (the range test's rule), not the initial one", '''
def detect_explosion(losses, factor=3.0):
    losses = np.asarray(losses, dtype=float)
    if losses.size == 0:
        return None
    for i in range(len(losses)):
        if not np.isfinite(losses[i]) or losses[i] > factor * np.min(losses[:i + 1]):
            return i
    return None
'''),
    ],
    "update_weight_ratio": [
        ("divides by the norm after the update",
         _ratio("float(np.linalg.norm(step.ravel()) / (np.linalg.norm(new.ravel()) + 1e-12))")),
        ("the change of the norm, not the norm of the change",
         _ratio("float((np.linalg.norm(new.ravel()) - np.linalg.norm(w.ravel())) / (np.linalg.norm(w.ravel()) + 1e-12))")),
        ("no 1e-12: a zero bias divides by zero",
         _ratio("float(np.linalg.norm(step.ravel()) / np.linalg.norm(w.ravel()))")),
        ("the mean of the entry-wise ratios |dw| / |w|",
         _ratio("float(np.mean(np.abs(step) / (np.abs(w) + 1e-12)))")),
    ],
    "layer_health": [
        ("dead counted per value (the share of zeros), not per unit", _health(dead="np.mean(h <= 0)")),
        ("sigmoid saturation tested like tanh: |s| > threshold misses the values near 0",
         _health(sigmoid="np.abs(h) > threshold")),
        ("saturated at exactly the threshold (>=)", _health(cmp=">=")),
        ("std averaged over the units instead of over all values of the layer",
         _health(stats="(np.array([h.mean() for h in activations]), "
                       "np.array([np.reshape(h, (len(h), -1)).std(axis=0).mean() for h in activations]))")),
        ("gradient std with ddof=1", _health(grad="np.std(g, ddof=1)")),
    ],
    "zero_input_baseline": [
        ("zeros only for training: the zero-trained net is evaluated on the real validation inputs",
         _baseline(zeros='zeros = dict(data, X_train=np.zeros(np.shape(data["X_train"])))')),
        ("no copy: the second run starts from the weights the first one trained",
         _baseline(net="model")),
        ("the best validation accuracy instead of the last epoch's", _baseline(acc="float(solver.best_val_acc)")),
        ("zeroes the caller's data in place", _baseline(zeros='''zeros = data
    data = {key: np.array(value, copy=True) for key, value in data.items()}
    zeros["X_train"][...] = 0
    zeros["X_val"][...] = 0''')),
    ],
    "diagnose_basic": [
        ("explosion measured against the previous loss instead of the first",
         _diagnose(reference="losses[:-1]")),
        ("underfitting reported even when the learning rate is the problem", _diagnose(triage="")),
        ("a rising loss reported as lr_too_low", _diagnose(trend='''    if end > (1 - min_decrease) * start:
        codes.add("lr_too_low")''')),
        ("the accuracies of the last epoch only, not the mean of the last three", _diagnose(k="1")),
        ("ln C as log10(C)", _diagnose(expected="math.log10(num_classes)")),
    ],
}

ALTERNATIVES = {
    "check_initial_loss": [
        ("deep copies with each strength; np.isclose with rtol and atol=0; C from one sample's scores", '''
def check_initial_loss(model, X, y, reg=1e3, rtol=0.05):
    plain, regularized = copy.deepcopy(model), copy.deepcopy(model)
    plain.reg, regularized.reg = 0.0, reg
    loss, _ = plain.loss(X, y)
    reg_loss, _ = regularized.loss(X, y)
    expected = np.log(model.loss(X[:1]).shape[-1])
    ok = bool(np.isclose(loss, expected, rtol=rtol, atol=0.0)) and reg_loss > loss
    return {"loss": float(loss), "reg_loss": float(reg_loss), "expected": float(expected), "ok": ok}
'''),
    ],
    "overfit_tiny": [
        ("a loop of its own with optim.sgd, in place on the copy", '''
def overfit_tiny(model, X, y, lr=1e-3, num_epochs=200):
    net = copy.deepcopy(model)
    net.reg = 0
    losses = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        losses[epoch], grads = net.loss(X, y)
        for name, w in net.params.items():
            net.params[name], _ = optim.sgd(w, grads[name], {"lr": lr})
    train_acc = float((net.loss(X).argmax(axis=-1) == y).mean())
    return {"losses": losses, "train_acc": train_acc, "ok": bool(train_acc == 1)}
'''),
    ],
    "detect_explosion": [
        ("a plain loop with math.isfinite", '''
def detect_explosion(losses, factor=3.0):
    losses = [float(v) for v in losses]
    for i, loss in enumerate(losses):
        if not math.isfinite(loss) or loss > factor * losses[0]:
            return i
    return None
'''),
    ],
    "update_weight_ratio": [
        ("square roots of sums of squares, in the arrays' own precision", '''
def update_weight_ratio(before, after):
    out = {}
    for name in before:
        d = after[name] - before[name]
        out[name] = float(np.sqrt(np.sum(d * d)) / (np.sqrt(np.sum(before[name] * before[name])) + 1e-12))
    return out
'''),
    ],
    "layer_health": [
        ("numpy's own mean/std, alive units with any(), sigmoid bounds written out", '''
def layer_health(activations, activation="relu", weight_grads=None, threshold=0.97):
    L = len(activations)
    out = {"mean": np.array([np.mean(h) for h in activations]), "std": np.array([np.std(h) for h in activations]),
           "saturated": np.full(L, np.nan), "dead": np.full(L, np.nan)}
    for i, h in enumerate(activations):
        if activation == "tanh":
            out["saturated"][i] = np.count_nonzero(np.abs(h) > threshold) / h.size
        elif activation == "sigmoid":
            out["saturated"][i] = np.count_nonzero((h > (1 + threshold) / 2) | (h < (1 - threshold) / 2)) / h.size
        if activation == "relu":
            alive = (h.reshape(h.shape[0], -1) > 0).any(axis=0)
            out["dead"][i] = 1 - alive.mean()
    if weight_grads is not None:
        out["grad_std"] = np.array([g.std() for g in weight_grads])
    return out
'''),
    ],
    "zero_input_baseline": [
        ("np.zeros_like and two explicit runs", '''
def zero_input_baseline(model, data, **solver_kwargs):
    blank = dict(data)
    blank["X_train"] = np.zeros_like(data["X_train"])
    blank["X_val"] = np.zeros_like(data["X_val"])
    data_acc = Solver(copy.deepcopy(model), data, **solver_kwargs).train()["val_acc"][-1]
    zero_acc = Solver(copy.deepcopy(model), blank, **solver_kwargs).train()["val_acc"][-1]
    return {"data_acc": float(data_acc), "zero_acc": float(zero_acc), "ok": bool(data_acc > zero_acc)}
'''),
    ],
    "diagnose_basic": [
        ("the rules as small helpers, a list of codes turned into a set", '''
def diagnose_basic(history, num_classes, explode_factor=3.0, initial_loss_factor=2.0, min_decrease=0.1,
                   max_gap=0.15, min_gap=0.03, min_train_acc=0.95):
    losses = [float(v) for v in history["loss"]]
    if not losses:
        return set()
    found = []
    ln_c = math.log(num_classes)
    first = losses[0]
    if not math.isfinite(first) or first > initial_loss_factor * ln_c or first < ln_c / initial_loss_factor:
        found.append("initial_loss_off")
    if math.isfinite(first) and any(not math.isfinite(v) or v > explode_factor * first for v in losses[1:]):
        return set(found + ["lr_too_high"])
    m = max(1, len(losses) // 10)
    start, end = sum(losses[:m]) / m, sum(losses[-m:]) / m
    rate_problem = True
    if end > (1 + min_decrease) * start:
        found.append("lr_too_high")
    elif end > (1 - min_decrease) * start:
        found.append("lr_too_low")
    else:
        rate_problem = False
    train_accs, val_accs = list(history.get("train_acc", [])), list(history.get("val_acc", []))
    k = min(3, len(train_accs), len(val_accs))
    if k:
        train, val = np.mean(train_accs[-k:]), np.mean(val_accs[-k:])
        if train - val > max_gap:
            found.append("overfitting")
        elif train - val < min_gap and train < min_train_acc and not rate_problem:
            found.append("underfitting")
    return set(found)
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "overfit_tiny": {
        'batch_size=len(X), sampling="epoch", keep_best=False, explode_factor=N: False -> True (#2)':
            "progress=True only draws a progress bar on stderr; the docstring leaves it open and a warning is not a failure",
    },
    "diagnose_basic": {
        "if not (np.isfinite(first) and expected / initial_loss_factor <= first: <= -> <":
            "the bound ln(C) / factor is irrational: no loss lies exactly on it (the docstring says ties are not checked)",
        "if not (np.isfinite(first) and expected / initial_loss_factor <= first: <= -> < (#2)":
            "the bound factor * ln(C) is irrational: no loss lies exactly on it (the docstring says ties are not checked)",
    },
}
