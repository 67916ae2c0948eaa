"""Typical wrong answers for lecture 06 (learning-rate schedules).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
Off-by-one steps (t counted from 1) and epoch-vs-iteration confusion come first where
they apply.
"""

_RANGE_HEAD = '''
def lr_range_test(model, X, y, lr_start=1e-5, lr_end=10.0, num_iters=100, batch_size=64,
                  update_rule="sgd", optim_config=None, diverge=4.0, seed=0):
    rule = optim.RULES[update_rule] if isinstance(update_rule, str) else update_rule
    saved = {name: w.copy() for name, w in model.params.items()}
    configs = {name: dict(optim_config or {}) for name in model.params}
    rng = np.random.default_rng(seed)
    lrs, losses = [], []
'''

_RANGE_STEP = '''        idx = rng.choice(X.shape[0], batch_size)
        with np.errstate(all="ignore"):
            loss, grads = model.loss(X[idx], y[idx])
        lrs.append(lr)
        losses.append(float(loss))
        if not np.isfinite(loss) or loss > diverge * min(losses):
            break
        for name, w in model.params.items():
            configs[name]["lr"] = lr
            model.params[name], configs[name] = rule(w, grads[name], configs[name])
'''

_PLATEAU_HEAD = '''
class ReduceOnPlateau:
    def __init__(self, lr0, factor=0.5, patience=2, mode="min", threshold=1e-4, min_lr=0.0):
        self.lr, self.factor, self.patience = lr0, factor, patience
        self.mode, self.threshold, self.min_lr = mode, threshold, min_lr
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0

    def step(self, metric):
'''

_IMPROVED = '''        if self.mode == "min":
            improved = metric < self.best * (1 - self.threshold)
        else:
            improved = metric > self.best * (1 + self.threshold)
'''


def _one_cycle(phase_one, phase_two, peak="pct_start * total_steps - 1", cos=True):
    helper = ('''    def between(start, end, pct):
        return end + 0.5 * (start - end) * (1 + math.cos(math.pi * pct))
''' if cos else '''    def between(start, end, pct):
        return start + (end - start) * pct
''')
    return f'''
def one_cycle(t, lr0, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
{helper}
    initial = lr0 / div_factor
    peak = {peak}
    last = total_steps - 1
    if t <= peak:
        return between({phase_one})
    return between({phase_two})
'''


def _suggest(smoothing, slope, pick="float(lrs[skip_start + int(np.argmin(slopes))])"):
    return f'''
def suggest_lr(lrs, losses, beta=0.9, skip_start=5):
{smoothing}
    slopes = {slope}
    return {pick}
'''


_EMA = '''    avg, smoothed = 0.0, []
    for i, loss in enumerate(losses, start=1):
        avg = beta * avg + (1 - beta) * loss
        smoothed.append(avg / (1 - beta ** i))
    smoothed = np.array(smoothed)'''

MISTAKES = {
    "step_decay": [
        ("off by one: counts t from 1, so the first drop comes one step early", '''
def step_decay(t, lr0, step_size, gamma=0.1):
    return lr0 * gamma ** ((t + 1) // step_size)
'''),
        ("continuous exponent: no floor", '''
def step_decay(t, lr0, step_size, gamma=0.1):
    return lr0 * gamma ** (t / step_size)
'''),
        ("drops one step late (t > step_size)", '''
def step_decay(t, lr0, step_size, gamma=0.1):
    return lr0 * gamma ** max(0, math.ceil(t / step_size) - 1)
'''),
    ],
    "exponential_decay": [
        ("off by one: exp(-k (t + 1))", '''
def exponential_decay(t, lr0, k):
    return lr0 * math.exp(-k * (t + 1))
'''),
        ("(1 - k)^t instead of exp(-k t)", '''
def exponential_decay(t, lr0, k):
    return lr0 * (1 - k) ** t
'''),
    ],
    "inverse_time_decay": [
        ("off by one: 1 + k (t + 1)", '''
def inverse_time_decay(t, lr0, k):
    return lr0 / (1 + k * (t + 1))
'''),
        ("forgets the 1: lr0 / (k t) (infinite at t = 0)", '''
def inverse_time_decay(t, lr0, k):
    return lr0 / (k * t)
'''),
    ],
    "linear_decay": [
        ("not clamped after T (goes negative)", '''
def linear_decay(t, lr0, T, lr_end=0.0):
    return lr0 + (lr_end - lr0) * t / T
'''),
        ("off by one: (t + 1) / T", '''
def linear_decay(t, lr0, T, lr_end=0.0):
    return lr0 + (lr_end - lr0) * min(t + 1, T) / T
'''),
        ("ignores lr_end", '''
def linear_decay(t, lr0, T, lr_end=0.0):
    return lr0 * (1 - min(t, T) / T)
'''),
    ],
    "inverse_sqrt": [
        ("off by one: lr0 / sqrt(t), lr0 at t = 0", '''
def inverse_sqrt(t, lr0):
    return lr0 / math.sqrt(t) if t > 0 else lr0
'''),
        ("1/t instead of 1/sqrt(t)", '''
def inverse_sqrt(t, lr0):
    return lr0 / (t + 1)
'''),
        ("lr0 / sqrt(t) (division by zero at t = 0)", '''
def inverse_sqrt(t, lr0):
    return lr0 / math.sqrt(t)
'''),
    ],
    "cosine_annealing": [
        ("not clamped after T (rises again)", '''
def cosine_annealing(t, lr0, T, lr_min=0.0):
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t / T))
'''),
        ("ignores lr_min", '''
def cosine_annealing(t, lr0, T, lr_min=0.0):
    return 0.5 * lr0 * (1 + math.cos(math.pi * min(t, T) / T))
'''),
        ("quarter cosine: lr0 cos(pi t / 2T)", '''
def cosine_annealing(t, lr0, T, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * math.cos(math.pi * min(t, T) / (2 * T))
'''),
    ],
    "cosine_with_restarts": [
        ("whole epochs only: int(t), no annealing within an epoch", '''
def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    T_i, t_cur = T0, int(t)
    while t_cur >= T_i:
        t_cur -= T_i
        T_i *= T_mult
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / T_i))
'''),
        ("ignores T_mult: t % T0", '''
def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    t_cur = t % T0
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / T0))
'''),
        ("off by one: restarts one step late (t_cur > T_i)", '''
def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    T_i, t_cur = T0, t
    while t_cur > T_i:
        t_cur -= T_i
        T_i *= T_mult
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / T_i))
'''),
    ],
    "linear_warmup": [
        ("off by one: (t + 1) / warmup_steps", '''
def linear_warmup(t, lr0, warmup_steps, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * min(t + 1, warmup_steps) / warmup_steps)
'''),
        ("starts from 0, ignoring start_factor", '''
def linear_warmup(t, lr0, warmup_steps, start_factor=0.1):
    return lr0 * min(t, warmup_steps) / warmup_steps
'''),
        ("not clamped after the warm-up", '''
def linear_warmup(t, lr0, warmup_steps, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * t / warmup_steps)
'''),
    ],
    "cyclical": [
        ("only the first cycle: x = |t / step_size - 1|", '''
def cyclical(t, lr0, max_lr, step_size):
    x = abs(t / step_size - 1)
    return lr0 + (max_lr - lr0) * max(0.0, 1 - x)
'''),
        ("step_size taken as the whole cycle", '''
def cyclical(t, lr0, max_lr, step_size):
    half = step_size / 2
    cycle = math.floor(1 + t / step_size)
    x = abs(t / half - 2 * cycle + 1)
    return lr0 + (max_lr - lr0) * max(0.0, 1 - x)
'''),
        ("off by one: counts t from 1", '''
def cyclical(t, lr0, max_lr, step_size):
    t = t + 1
    cycle = math.floor(1 + t / (2 * step_size))
    x = abs(t / step_size - 2 * cycle + 1)
    return lr0 + (max_lr - lr0) * max(0.0, 1 - x)
'''),
    ],
    "one_cycle": [
        ("off by one: peak at step pct_start * total_steps", _one_cycle(
            "initial, lr0, t / peak", "lr0, initial / final_div_factor, (t - peak) / (last - peak)",
            peak="pct_start * total_steps")),
        ("linear instead of cosine pieces", _one_cycle(
            "initial, lr0, t / peak", "lr0, initial / final_div_factor, (t - peak) / (last - peak)", cos=False)),
        ("ends at lr0 / div_factor (ignores final_div_factor)", _one_cycle(
            "initial, lr0, t / peak", "lr0, initial, (t - peak) / (last - peak)")),
        ("off by one at the end: falls until step total_steps", _one_cycle(
            "initial, lr0, t / peak", "lr0, initial / final_div_factor, (t - peak) / (total_steps - peak)")),
    ],
    "reduce_on_plateau": [
        ("off by one: drops after patience bad epochs, not more than patience", _PLATEAU_HEAD + _IMPROVED + '''
        if improved:
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs >= self.patience:
            self.lr = max(self.lr * self.factor, self.min_lr)
            self.num_bad_epochs = 0
        return self.lr
'''),
        ("does not reset the count after a drop (drops every epoch after)", _PLATEAU_HEAD + _IMPROVED + '''
        if improved:
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.lr = max(self.lr * self.factor, self.min_lr)
        return self.lr
'''),
        ("compares with the previous epoch instead of the best", _PLATEAU_HEAD + '''
        if self.mode == "min":
            improved = metric < self.best * (1 - self.threshold)
        else:
            improved = metric > self.best * (1 + self.threshold)
        self.best = metric
        if improved:
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.lr = max(self.lr * self.factor, self.min_lr)
            self.num_bad_epochs = 0
        return self.lr
'''),
        ("ignores mode: lower is always better", _PLATEAU_HEAD + '''
        improved = metric < self.best * (1 - self.threshold) if self.best != -math.inf else True
        if improved:
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.lr = max(self.lr * self.factor, self.min_lr)
            self.num_bad_epochs = 0
        return self.lr
'''),
    ],
    "lr_range_test": [
        ("epoch instead of iteration: raises the rate once per pass over the data", _RANGE_HEAD + '''
    iters_per_epoch = max(X.shape[0] // batch_size, 1)
    num_epochs = max(num_iters // iters_per_epoch, 2)
    for i in range(num_iters):
        epoch = i // iters_per_epoch
        lr = lr_start * (lr_end / lr_start) ** (min(epoch, num_epochs - 1) / (num_epochs - 1))
''' + _RANGE_STEP + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
        ("linear instead of geometric sweep", _RANGE_HEAD + '''
    for i, lr in enumerate(np.linspace(lr_start, lr_end, num_iters)):
''' + _RANGE_STEP + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
        ("does not restore the parameters", _RANGE_HEAD + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / (num_iters - 1))
''' + _RANGE_STEP + '''    return np.array(lrs), np.array(losses)
'''),
        ("never stops early when the loss explodes", _RANGE_HEAD + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / (num_iters - 1))
''' + _RANGE_STEP.replace("        if not np.isfinite(loss) or loss > diverge * min(losses):\n            break\n", "")
         + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
        ("off by one: factor (lr_end / lr_start) ** (1 / num_iters)", _RANGE_HEAD + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / num_iters)
''' + _RANGE_STEP + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
    ],
    "suggest_lr": [
        ("the rate of the lowest loss", '''
def suggest_lr(lrs, losses, beta=0.9, skip_start=5):
    return float(lrs[int(np.argmin(losses))])
'''),
        ("no smoothing: steepest slope of the raw losses", _suggest(
            "    smoothed = np.asarray(losses, dtype=float)", "np.gradient(smoothed[skip_start:], np.log10(lrs[skip_start:]))")),
        ("moving average without bias correction", _suggest('''    avg, smoothed = 0.0, []
    for loss in losses:
        avg = beta * avg + (1 - beta) * loss
        smoothed.append(avg)
    smoothed = np.array(smoothed)''', "np.gradient(smoothed[skip_start:], np.log10(lrs[skip_start:]))")),
        ("slope against lr instead of log10(lr)", _suggest(_EMA, "np.gradient(smoothed[skip_start:], lrs[skip_start:])")),
        ("forgets skip_start: the noisy first points count", _suggest(
            _EMA, "np.gradient(smoothed, np.log10(lrs))", pick="float(lrs[int(np.argmin(slopes))])")),
    ],
}
