"""Typical wrong answers for lecture 11 (model ensembles).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES lists correct answers written differently from the reference (each must pass);
EQUIVALENT_MUTANTS records the generated mutants no test can tell from the answer, with a reason.
"""

MISTAKES = {
    "average_predictions": [
        ("averages the raw scores, then one softmax", '''
def average_predictions(scores, weights=None):
    mean = scores.mean(axis=0) if weights is None else np.tensordot(weights / np.sum(weights), scores, axes=1)
    e = np.exp(mean - mean.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
'''),
        ("majority vote: the mean of one-hot argmaxes", '''
def average_predictions(scores, weights=None):
    votes = np.eye(scores.shape[2])[scores.argmax(axis=2)]
    return np.average(votes, axis=0, weights=weights)
'''),
        ("softmax without the max shift: overflows at large scores", '''
def average_predictions(scores, weights=None):
    e = np.exp(scores)
    return np.average(e / e.sum(axis=2, keepdims=True), axis=0, weights=weights)
'''),
        ("weights not normalized", '''
def average_predictions(scores, weights=None):
    e = np.exp(scores - scores.max(axis=2, keepdims=True))
    probs = e / e.sum(axis=2, keepdims=True)
    if weights is None:
        return probs.mean(axis=0)
    return np.tensordot(weights, probs, axes=1)
'''),
        ("weights ignored", '''
def average_predictions(scores, weights=None):
    e = np.exp(scores - scores.max(axis=2, keepdims=True))
    return (e / e.sum(axis=2, keepdims=True)).mean(axis=0)
'''),
        ("softmax over the member axis", '''
def average_predictions(scores, weights=None):
    e = np.exp(scores - scores.max(axis=0, keepdims=True))
    return np.average(e / e.sum(axis=0, keepdims=True), axis=0, weights=weights)
'''),
    ],
    "ensemble_accuracy": [
        ("accuracy of member k alone, not of the first k", '''
def ensemble_accuracy(probs, y):
    return (probs.argmax(axis=2) == y).mean(axis=1)
'''),
        ("cumulative majority vote", '''
def ensemble_accuracy(probs, y):
    votes = np.cumsum(np.eye(probs.shape[2])[probs.argmax(axis=2)], axis=0)
    return (votes.argmax(axis=2) == y).mean(axis=1)
'''),
        ("every entry the ensemble of all M members", '''
def ensemble_accuracy(probs, y):
    acc = np.mean(probs.mean(axis=0).argmax(axis=1) == y)
    return np.full(len(probs), acc)
'''),
        ("off by one: entry k-1 uses the first k+1 members", '''
def ensemble_accuracy(probs, y):
    m = len(probs)
    return np.array([np.mean(probs[:min(k + 2, m)].mean(axis=0).argmax(axis=1) == y) for k in range(m)])
'''),
    ],
    "snapshot_ensemble": [
        ("cycle length in epochs fed to a per-update schedule", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    snapshots = callbacks.Checkpoints(every=epochs_per_cycle)
    Solver(model, data, lr_schedule=lambda t: schedules.cosine_with_restarts(t, lr0, epochs_per_cycle, lr_min=lr_min),
           num_epochs=num_cycles * epochs_per_cycle, batch_size=batch_size, sampling="epoch", keep_best=False,
           callbacks=[snapshots], **solver_kwargs).train()
    return [(p, bn) for _, p, bn in snapshots.checkpoints]
'''),
        ("one cosine over the whole run: no restarts", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    iters = -(-data["X_train"].shape[0] // batch_size)
    total = num_cycles * epochs_per_cycle * iters
    snapshots = callbacks.Checkpoints(every=epochs_per_cycle)
    Solver(model, data, lr_schedule=lambda t: schedules.cosine_annealing(t, lr0, total, lr_min=lr_min),
           num_epochs=num_cycles * epochs_per_cycle, batch_size=batch_size, sampling="epoch", keep_best=False,
           callbacks=[snapshots], **solver_kwargs).train()
    return [(p, bn) for _, p, bn in snapshots.checkpoints]
'''),
        ("updates per epoch N // batch_size (floor): the restarts drift when N is no multiple", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    iters = max(data["X_train"].shape[0] // batch_size, 1)
    snapshots = callbacks.Checkpoints(every=epochs_per_cycle)
    Solver(model, data, lr_schedule=lambda t: schedules.cosine_with_restarts(t, lr0, epochs_per_cycle * iters, lr_min=lr_min),
           num_epochs=num_cycles * epochs_per_cycle, batch_size=batch_size, sampling="epoch", keep_best=False,
           callbacks=[snapshots], **solver_kwargs).train()
    return [(p, bn) for _, p, bn in snapshots.checkpoints]
'''),
        ("Solver's default keep_best: the model ends with the best epoch, not the last snapshot", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    iters = -(-data["X_train"].shape[0] // batch_size)
    snapshots = callbacks.Checkpoints(every=epochs_per_cycle)
    Solver(model, data, lr_schedule=lambda t: schedules.cosine_with_restarts(t, lr0, epochs_per_cycle * iters, lr_min=lr_min),
           num_epochs=num_cycles * epochs_per_cycle, batch_size=batch_size, sampling="epoch",
           callbacks=[snapshots], **solver_kwargs).train()
    return [(p, bn) for _, p, bn in snapshots.checkpoints]
'''),
        ("a snapshot after every epoch", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    iters = -(-data["X_train"].shape[0] // batch_size)
    snapshots = callbacks.Checkpoints(every=1)
    Solver(model, data, lr_schedule=lambda t: schedules.cosine_with_restarts(t, lr0, epochs_per_cycle * iters, lr_min=lr_min),
           num_epochs=num_cycles * epochs_per_cycle, batch_size=batch_size, sampling="epoch", keep_best=False,
           callbacks=[snapshots], **solver_kwargs).train()
    return [(p, bn) for _, p, bn in snapshots.checkpoints]
'''),
        ("the schedule per epoch (lr_schedule_unit='epoch'): a staircase, not a per-update cosine", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    snapshots = callbacks.Checkpoints(every=epochs_per_cycle)
    Solver(model, data, lr_schedule=lambda t: schedules.cosine_with_restarts(t, lr0, epochs_per_cycle, lr_min=lr_min),
           lr_schedule_unit="epoch", num_epochs=num_cycles * epochs_per_cycle, batch_size=batch_size,
           sampling="epoch", keep_best=False, callbacks=[snapshots], **solver_kwargs).train()
    return [(p, bn) for _, p, bn in snapshots.checkpoints]
'''),
    ],
    "ema_update": [
        ("decay weighs the new weights: 0.005 * average + 0.995 * current", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    for name in ema_params:
        ema_params[name] = (1 - decay) * ema_params[name] + decay * params[name]
    if ema_bn_params is not None:
        for avg, cur in zip(ema_bn_params, bn_params):
            for key in ("running_mean", "running_var"):
                avg[key] = (1 - decay) * avg[key] + decay * cur[key]
'''),
        ("batchnorm statistics not averaged", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    for name in ema_params:
        ema_params[name] *= decay
        ema_params[name] += (1 - decay) * params[name]
'''),
        ("rebinds the dict locally: the caller's averages never change", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    ema_params = {name: decay * avg + (1 - decay) * params[name] for name, avg in ema_params.items()}
    if ema_bn_params is not None:
        for avg, cur in zip(ema_bn_params, bn_params):
            for key in ("running_mean", "running_var"):
                avg[key] = decay * avg[key] + (1 - decay) * cur[key]
'''),
        ("averages into the current weights instead of the averages", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    for name in ema_params:
        params[name] *= 1 - decay
        params[name] += decay * ema_params[name]
        ema_params[name] = params[name]
    if ema_bn_params is not None:
        for avg, cur in zip(ema_bn_params, bn_params):
            for key in ("running_mean", "running_var"):
                avg[key] = decay * avg[key] + (1 - decay) * cur[key]
'''),
        ("copies the batchnorm statistics instead of averaging them", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    for name in ema_params:
        ema_params[name] = decay * ema_params[name] + (1 - decay) * params[name]
    if ema_bn_params is not None:
        for avg, cur in zip(ema_bn_params, bn_params):
            avg["running_mean"], avg["running_var"] = cur["running_mean"].copy(), cur["running_var"].copy()
'''),
    ],
    "bagging_indices": [
        ("without replacement: a permutation per member", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    m = max(1, round(fraction * n))
    indices = np.stack([rng.permutation(n)[:m] for _ in range(num_models)])
    oob = np.ones((num_models, n), dtype=bool)
    oob[np.arange(num_models)[:, None], indices] = False
    return indices, oob
'''),
        ("one sample drawn and shared by every member", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    m = max(1, round(fraction * n))
    indices = np.tile(rng.integers(0, n, size=m), (num_models, 1))
    oob = np.ones((num_models, n), dtype=bool)
    oob[np.arange(num_models)[:, None], indices] = False
    return indices, oob
'''),
        ("the in-bag mask returned as out of bag", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    m = max(1, round(fraction * n))
    indices = rng.integers(0, n, size=(num_models, m))
    oob = np.zeros((num_models, n), dtype=bool)
    oob[np.arange(num_models)[:, None], indices] = True
    return indices, oob
'''),
        ("fraction ignored: always n rows", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    indices = rng.integers(0, n, size=(num_models, n))
    oob = np.ones((num_models, n), dtype=bool)
    oob[np.arange(num_models)[:, None], indices] = False
    return indices, oob
'''),
        ("rng.integers(0, n - 1): the last row is never drawn", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    m = max(1, round(fraction * n))
    indices = rng.integers(0, max(n - 1, 1), size=(num_models, m))
    oob = np.ones((num_models, n), dtype=bool)
    oob[np.arange(num_models)[:, None], indices] = False
    return indices, oob
'''),
    ],
    "distillation_objective": [
        ("the classic trap: KL averaged over all N * C elements (reduction='mean')", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    n, c = scores.shape
    T = temperature
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(scores / T), log_softmax(teacher_scores / T)
    q = np.exp(log_q)
    kl = np.sum(q * (log_q - log_p)) / (n * c)
    log_s = log_softmax(scores)
    hard = -np.mean(log_s[np.arange(n), y])
    dhard = np.exp(log_s)
    dhard[np.arange(n), y] -= 1
    loss = alpha * T**2 * kl + (1 - alpha) * hard
    return float(loss), alpha * T * (np.exp(log_p) - q) / (n * c) + (1 - alpha) * dhard / n
'''),
        ("no T^2: the soft term fades as T grows", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    n = scores.shape[0]
    T = temperature
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(scores / T), log_softmax(teacher_scores / T)
    q = np.exp(log_q)
    kl = np.sum(q * (log_q - log_p)) / n
    log_s = log_softmax(scores)
    hard = -np.mean(log_s[np.arange(n), y])
    dhard = np.exp(log_s)
    dhard[np.arange(n), y] -= 1
    return float(alpha * kl + (1 - alpha) * hard), alpha * (np.exp(log_p) - q) / (T * n) + (1 - alpha) * dhard / n
'''),
        ("gradient without the 1/T of the chain rule: T^2 (p - q) / N", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    n = scores.shape[0]
    T = temperature
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(scores / T), log_softmax(teacher_scores / T)
    q = np.exp(log_q)
    kl = np.sum(q * (log_q - log_p)) / n
    log_s = log_softmax(scores)
    hard = -np.mean(log_s[np.arange(n), y])
    dhard = np.exp(log_s)
    dhard[np.arange(n), y] -= 1
    return float(alpha * T**2 * kl + (1 - alpha) * hard), alpha * T**2 * (np.exp(log_p) - q) / n + (1 - alpha) * dhard / n
'''),
        ("alpha on the wrong term", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    soft, dsoft = losses.distillation_loss(scores, teacher_scores, temperature)
    t = teacher_scores / temperature
    log_q = t - t.max(axis=1, keepdims=True)
    log_q = log_q - np.log(np.exp(log_q).sum(axis=1, keepdims=True))
    entropy = -np.sum(np.exp(log_q) * log_q) / scores.shape[0]
    hard, dhard = losses.softmax_loss(scores, y)
    return float((1 - alpha) * (soft - temperature**2 * entropy) + alpha * hard), (1 - alpha) * dsoft + alpha * dhard
'''),
        ("KL in the wrong direction: KL(p || q)", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    n = scores.shape[0]
    T = temperature
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(scores / T), log_softmax(teacher_scores / T)
    p = np.exp(log_p)
    kl_rows = np.sum(p * (log_p - log_q), axis=1, keepdims=True)
    dsoft = p * (log_p - log_q - kl_rows) / T
    log_s = log_softmax(scores)
    hard = -np.mean(log_s[np.arange(n), y])
    dhard = np.exp(log_s)
    dhard[np.arange(n), y] -= 1
    return float(alpha * T**2 * kl_rows.sum() / n + (1 - alpha) * hard), alpha * T**2 * dsoft / n + (1 - alpha) * dhard / n
'''),
        ("soft cross-entropy instead of KL: the loss is off by the teacher's entropy", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    soft, dsoft = losses.distillation_loss(scores, teacher_scores, temperature)
    hard, dhard = losses.softmax_loss(scores, y)
    return float(alpha * soft + (1 - alpha) * hard), alpha * dsoft + (1 - alpha) * dhard
'''),
    ],
}

ALTERNATIVES = {
    "average_predictions": [
        ("np.average with weights, softmax through logsumexp", '''
def average_predictions(scores, weights=None):
    top = scores.max(axis=-1, keepdims=True)
    log_probs = scores - top - np.log(np.sum(np.exp(scores - top), axis=-1, keepdims=True))
    return np.average(np.exp(log_probs), axis=0, weights=weights)
'''),
        ("a loop over the members with einsum weights", '''
def average_predictions(scores, weights=None):
    m = scores.shape[0]
    w = np.ones(m) / m if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    probs = []
    for s in scores:
        e = np.exp(s - np.max(s, axis=1)[:, None])
        probs.append(e / e.sum(axis=1)[:, None])
    return np.einsum("m,mnc->nc", w, np.array(probs))
'''),
    ],
    "ensemble_accuracy": [
        ("a loop over k with np.mean of the first k", '''
def ensemble_accuracy(probs, y):
    return np.array([np.mean(np.argmax(probs[:k].mean(axis=0), axis=1) == y) for k in range(1, len(probs) + 1)])
'''),
        ("running sum (no division: the argmax does not care)", '''
def ensemble_accuracy(probs, y):
    total = np.zeros(probs.shape[1:])
    acc = []
    for p in probs:
        total = total + p
        acc.append(float(np.sum(total.argmax(axis=1) == y)) / len(y))
    return np.array(acc)
'''),
    ],
    "snapshot_ensemble": [
        ("math.ceil, its own snapshot callback, keyword arguments", '''
def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100, **solver_kwargs):
    import math
    import functools
    iters = math.ceil(len(data["X_train"]) / batch_size)
    schedule = functools.partial(schedules.cosine_with_restarts, lr0=lr0, T0=epochs_per_cycle * iters, T_mult=1,
                                 lr_min=lr_min)
    keeper = callbacks.Checkpoints(every=epochs_per_cycle)
    solver = Solver(model, data, lr_schedule=schedule, lr_schedule_unit="iteration", batch_size=batch_size,
                    num_epochs=epochs_per_cycle * num_cycles, sampling="epoch", keep_best=False,
                    callbacks=[keeper], **solver_kwargs)
    solver.train()
    members = []
    for epoch, params, bn in keeper.checkpoints:
        members.append((params, bn))
    return members
'''),
    ],
    "ema_update": [
        ("x_ema += (1 - decay) * (x - x_ema), new arrays for the statistics", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    for name in list(ema_params):
        ema_params[name] = ema_params[name] + (1 - decay) * (params[name] - ema_params[name])
    for avg, cur in zip(ema_bn_params or [], bn_params or []):
        avg["running_mean"] = avg["running_mean"] + (1 - decay) * (cur["running_mean"] - avg["running_mean"])
        avg["running_var"] = avg["running_var"] + (1 - decay) * (cur["running_var"] - avg["running_var"])
'''),
        ("np.multiply / np.add with out=", '''
def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    for name, avg in ema_params.items():
        np.multiply(avg, decay, out=avg)
        np.add(avg, (1 - decay) * params[name], out=avg)
    if ema_bn_params:
        for avg, cur in zip(ema_bn_params, bn_params):
            avg.update({k: decay * avg[k] + (1 - decay) * cur[k] for k in ("running_mean", "running_var")})
    return None
'''),
    ],
    "bagging_indices": [
        ("rng.choice with replacement, oob by bincount", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    m = max(1, int(round(fraction * n)))
    indices = rng.choice(n, size=(num_models, m), replace=True)
    oob = np.stack([np.bincount(row, minlength=n) == 0 for row in indices])
    return indices, oob
'''),
        ("oob by np.isin", '''
def bagging_indices(n, num_models, rng, fraction=1.0):
    m = max(1, round(fraction * n))
    indices = rng.integers(n, size=(num_models, m))
    oob = np.array([~np.isin(np.arange(n), row) for row in indices]).reshape(num_models, n)
    return indices, oob
'''),
    ],
    "distillation_objective": [
        ("KL written out with log-softmax, one-hot hard term", '''
def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    n, c = scores.shape
    T = temperature
    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(scores / T), log_softmax(teacher_scores / T)
    q = np.exp(log_q)
    kl = np.sum(q * (log_q - log_p)) / n
    onehot = np.eye(c)[y]
    log_s = log_softmax(scores)
    hard = -np.sum(onehot * log_s) / n
    loss = alpha * T * T * kl + (1 - alpha) * hard
    dscores = (alpha * T * (np.exp(log_p) - q) + (1 - alpha) * (np.exp(log_s) - onehot)) / n
    return float(loss), dscores
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "ensemble_accuracy": {
        "means = np.cumsum(probs, axis=0) / np.arange(1, len(probs) + 1)[:, Non: / -> *":
            "the sum of the first k members times k has the same argmax as their mean (a positive factor per k)",
    },
}
