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

# --- mistakes the generated cases catch (fractional t, every default, every rule, exact restarts) ---
_MORE = {
    "step_decay": [
        ("whole steps only: int(t) before dividing, then a true division (no floor)", '''
def step_decay(t, lr0, step_size, gamma=0.1):
    return lr0 * gamma ** (int(t) / step_size)
'''),
    ],
    "exponential_decay": [
        ("whole steps only: int(t) (no decay within a step or epoch)", '''
def exponential_decay(t, lr0, k):
    return lr0 * math.exp(-k * int(t))
'''),
    ],
    "inverse_time_decay": [
        ("whole steps only: int(t)", '''
def inverse_time_decay(t, lr0, k):
    return lr0 / (1 + k * int(t))
'''),
    ],
    "linear_decay": [
        ("after T returns 0 instead of lr_end", '''
def linear_decay(t, lr0, T, lr_end=0.0):
    if t >= T:
        return 0.0
    return lr0 + (lr_end - lr0) * t / T
'''),
    ],
    "inverse_sqrt": [
        ("whole steps only: int(t)", '''
def inverse_sqrt(t, lr0):
    return lr0 / math.sqrt(int(t) + 1)
'''),
    ],
    "cosine_with_restarts": [
        ("torch's closed form int(log(...)): a whole cycle off where the log rounds down (t = 121, T0 = 1, T_mult = 3)", '''
def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    if T_mult == 1:
        t_cur, T_i = t % T0, T0
    else:
        n = int(math.log(t / T0 * (T_mult - 1) + 1, T_mult))
        t_cur = t - T0 * (T_mult ** n - 1) / (T_mult - 1)
        T_i = T0 * T_mult ** n
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / T_i))
'''),
        ("cycle counted from 1: the first cycle already lasts T0 * T_mult", '''
def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    T_i, t_cur = T0 * T_mult, t
    while t_cur >= T_i:
        t_cur -= T_i
        T_i *= T_mult
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / T_i))
'''),
    ],
    "linear_warmup": [
        ("default start_factor 1/3, copied from torch's LinearLR", '''
def linear_warmup(t, lr0, warmup_steps, start_factor=1 / 3):
    return lr0 * (start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps)
'''),
        ("reaches lr0 one step late: divides by warmup_steps + 1", '''
def linear_warmup(t, lr0, warmup_steps, start_factor=0.1):
    return lr0 * (start_factor + (1 - start_factor) * min(t / (warmup_steps + 1), 1.0))
'''),
    ],
    "cyclical": [
        ("whole steps only: math.floor(t) (a fractional epoch stays on the last step's rate)", '''
def cyclical(t, lr0, max_lr, step_size):
    t = math.floor(t)
    cycle = math.floor(1 + t / (2 * step_size))
    x = abs(t / step_size - 2 * cycle + 1)
    return lr0 + (max_lr - lr0) * max(0.0, 1 - x)
'''),
    ],
    "one_cycle": [
        ("peak step rounded down to a whole step: int(pct_start * total_steps) - 1", _one_cycle(
            "initial, lr0, t / peak", "lr0, initial / final_div_factor, (t - peak) / (last - peak)",
            peak="int(pct_start * total_steps) - 1")),
    ],
    "reduce_on_plateau": [
        ("a metric exactly at the threshold counts as better (<= instead of <)", _PLATEAU_HEAD + '''
        if self.mode == "min":
            improved = metric <= self.best * (1 - self.threshold)
        else:
            improved = metric >= self.best * (1 + self.threshold)
        if improved:
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.lr = max(self.lr * self.factor, self.min_lr)
            self.num_bad_epochs = 0
        return self.lr
'''),
        ("absolute threshold: metric < best - threshold (torch's threshold_mode='abs')", _PLATEAU_HEAD + '''
        if self.mode == "min":
            improved = metric < self.best - self.threshold
        else:
            improved = metric > self.best + self.threshold
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
        ("ignores optim_config (the rule's defaults instead)", _RANGE_HEAD.replace(
            "dict(optim_config or {})", "{}") + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / (num_iters - 1))
''' + _RANGE_STEP + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
        ("one config shared by all parameters (Adam's step count and moments mixed up)", _RANGE_HEAD.replace(
            "configs = {name: dict(optim_config or {}) for name in model.params}",
            "shared = dict(optim_config or {})\n    configs = {name: shared for name in model.params}") + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / (num_iters - 1))
''' + _RANGE_STEP + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
        ("divergence measured against the first loss, not the lowest", _RANGE_HEAD + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / (num_iters - 1))
''' + _RANGE_STEP.replace("diverge * min(losses)", "diverge * losses[0]") + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
        ("saves a reference to the params dict, not a copy: nothing is restored", _RANGE_HEAD.replace(
            "saved = {name: w.copy() for name, w in model.params.items()}", "saved = model.params") + '''
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / (num_iters - 1))
''' + _RANGE_STEP + '''    model.params = saved
    return np.array(lrs), np.array(losses)
'''),
    ],
    "suggest_lr": [
        ("smooths only the points after skip_start (the average restarts there)", _suggest('''    avg, smoothed = 0.0, []
    for i, loss in enumerate(losses[skip_start:], start=1):
        avg = beta * avg + (1 - beta) * loss
        smoothed.append(avg / (1 - beta ** i))
    smoothed = np.array(smoothed)''', "np.gradient(smoothed, np.log10(lrs[skip_start:]))")),
        ("forward differences np.diff instead of np.gradient", _suggest(
            _EMA, "np.diff(smoothed[skip_start:]) / np.diff(np.log10(lrs[skip_start:]))")),
    ],
}
for _name, _extra in _MORE.items():
    MISTAKES[_name] = MISTAKES[_name] + _extra

ALTERNATIVES = {
    "step_decay": [
        ("numpy power of a floor division", '''
def step_decay(t, lr0, step_size, gamma=0.1):
    return float(lr0 * np.power(gamma, t // step_size))
'''),
        ("a loop over the drops", '''
def step_decay(t, lr0, step_size, gamma=0.1):
    lr, boundary = lr0, step_size
    while t >= boundary:
        lr *= gamma
        boundary += step_size
    return lr
'''),
    ],
    "exponential_decay": [
        ("numpy, dividing by exp(k t)", '''
def exponential_decay(t, lr0, k):
    return lr0 / np.exp(k * t)
'''),
    ],
    "inverse_time_decay": [
        ("negative power", '''
def inverse_time_decay(t, lr0, k):
    return lr0 * (1.0 + k * t) ** -1
'''),
    ],
    "linear_decay": [
        ("an if for t >= T, then interpolation weights", '''
def linear_decay(t, lr0, T, lr_end=0.0):
    if t >= T:
        return lr_end
    frac = t / T
    return (1 - frac) * lr0 + frac * lr_end
'''),
        ("np.interp", '''
def linear_decay(t, lr0, T, lr_end=0.0):
    return float(np.interp(t, [0, T], [lr0, lr_end]))
'''),
    ],
    "inverse_sqrt": [
        ("power -0.5 with numpy", '''
def inverse_sqrt(t, lr0):
    return lr0 * np.power(t + 1.0, -0.5)
'''),
    ],
    "cosine_annealing": [
        ("cos^2 of half the angle, lr_min returned after T", '''
def cosine_annealing(t, lr0, T, lr_min=0.0):
    if t >= T:
        return lr_min
    return lr_min + (lr0 - lr_min) * np.cos(np.pi * t / (2 * T)) ** 2
'''),
    ],
    "cosine_with_restarts": [
        ("closed form: the cycle from a logarithm, corrected to whole cycles", '''
def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    if T_mult == 1:
        t_cur, T_i = t % T0, T0
    else:
        start = lambda n: T0 * (T_mult ** n - 1) // (T_mult - 1)     # step where cycle n starts
        n = int(math.log(t / T0 * (T_mult - 1) + 1, T_mult))
        while start(n + 1) <= t:      # the logarithm can round either way at a restart
            n += 1
        while n > 0 and start(n) > t:
            n -= 1
        t_cur, T_i = t - start(n), T0 * T_mult ** n
    return lr_min + (lr0 - lr_min) * (1 + np.cos(np.pi * t_cur / T_i)) / 2
'''),
    ],
    "linear_warmup": [
        ("an if after the warm-up, interpolation from start_factor * lr0", '''
def linear_warmup(t, lr0, warmup_steps, start_factor=0.1):
    if t >= warmup_steps:
        return lr0
    start = start_factor * lr0
    return start + (lr0 - start) * t / warmup_steps
'''),
    ],
    "cyclical": [
        ("position within the cycle by modulo, a triangle by cases", '''
def cyclical(t, lr0, max_lr, step_size):
    pos = (t % (2 * step_size)) / step_size        # 0 .. 2 within the cycle
    up = pos if pos <= 1 else 2 - pos
    return lr0 + (max_lr - lr0) * up
'''),
    ],
    "one_cycle": [
        ("numpy, annealing written as start + (end - start) (1 - cos) / 2", '''
def one_cycle(t, lr0, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    def anneal(start, end, pct):
        return start + (end - start) * (1 - np.cos(np.pi * pct)) / 2

    low, final = lr0 / div_factor, lr0 / div_factor / final_div_factor
    peak = float(pct_start * total_steps) - 1
    if t < peak:
        return anneal(low, lr0, t / peak)
    return anneal(lr0, final, (t - peak) / (total_steps - 1 - peak))
'''),
    ],
    "reduce_on_plateau": [
        ("count compared with == patience + 1, min_lr applied by an if", _PLATEAU_HEAD + '''
        if self.mode == "min":
            better = metric < self.best * (1 - self.threshold)
        else:
            better = metric > self.best * (1 + self.threshold)
        self.num_bad_epochs = 0 if better else self.num_bad_epochs + 1
        if better:
            self.best = metric
        if self.num_bad_epochs == self.patience + 1:
            self.lr = self.lr * self.factor
            if self.lr < self.min_lr:
                self.lr = self.min_lr
            self.num_bad_epochs = 0
        return self.lr
'''),
    ],
    "lr_range_test": [
        ("np.geomspace, deepcopy of the parameters, restored in place with try/finally", '''
def lr_range_test(model, X, y, lr_start=1e-5, lr_end=10.0, num_iters=100, batch_size=64,
                  update_rule="sgd", optim_config=None, diverge=4.0, seed=0):
    import copy
    rule = update_rule if callable(update_rule) else optim.RULES[update_rule]
    saved = copy.deepcopy(model.params)
    configs = {name: copy.deepcopy(optim_config or {}) for name in model.params}
    rng = np.random.default_rng(seed)
    lrs, losses, lowest = [], [], np.inf
    try:
        for lr in np.geomspace(lr_start, lr_end, num_iters):
            batch = rng.choice(X.shape[0], batch_size)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loss, grads = model.loss(X[batch], y[batch])
            lrs.append(lr)
            losses.append(loss)
            lowest = min(lowest, loss)
            if not np.isfinite(loss) or loss > diverge * lowest:
                break
            for name in model.params:
                configs[name]["lr"] = lr
                model.params[name], configs[name] = rule(model.params[name], grads[name], configs[name])
    finally:
        for name in saved:
            model.params[name] = saved[name]
    return np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
'''),
    ],
    "suggest_lr": [
        ("the library's ema_smooth, index into the tail", '''
def suggest_lr(lrs, losses, beta=0.9, skip_start=5):
    smoothed = regularization.ema_smooth(losses, beta)
    tail = np.asarray(lrs)[skip_start:]
    slopes = np.gradient(smoothed[skip_start:], np.log10(tail))
    return float(tail[np.argmin(slopes)])
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "one_cycle": {
        'if t <= peak:: <= -> <': "at t = peak both pieces give lr0 (cos(pi) = -1 and cos(0) = 1), to rounding; the docstring says so",
    },
    "reduce_on_plateau": {
        'self.num_bad_epochs = 0: 0 -> 1': "given __init__ code: the first step always improves on best = +-inf and resets the count",
    },
    "suggest_lr": {
        'avg = beta * avg + (1 - beta) * loss: - -> +': "(1 + beta) for (1 - beta) scales the whole smoothed curve by (1 + beta) / (1 - beta) > 0: same argmin",
    },
}
