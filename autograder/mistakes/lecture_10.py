"""Typical wrong answers for lecture 10 (hyperparameter search).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES lists correct answers written differently from the reference (each must pass);
EQUIVALENT_MUTANTS records the generated mutants no test can tell from the answer, with a reason.
"""

MISTAKES = {
    "sample_log_uniform": [
        ("uniform on the linear scale", '''
def sample_log_uniform(low, high, rng, size=None):
    return rng.uniform(low, high, size)
'''),
        ("natural log for the exponent, 10 for the base", '''
def sample_log_uniform(low, high, rng, size=None):
    return 10 ** rng.uniform(np.log(low), np.log(high), size)
'''),
        ("log of a uniform sample", '''
def sample_log_uniform(low, high, rng, size=None):
    return np.log10(rng.uniform(low, high, size))
'''),
        ("exponent drawn in [0, 1) and scaled by hand, wrong width", '''
def sample_log_uniform(low, high, rng, size=None):
    return low * 10 ** (rng.uniform(0, 1, size) * np.log10(high))
'''),
    ],
    "random_search": [
        ("log parameters sampled uniformly", '''
def random_search(objective, space, num_trials, rng):
    results = []
    for _ in range(num_trials):
        params = {name: float(rng.uniform(low, high)) for name, (low, high, scale) in space.items()}
        results.append((params, objective(params)))
    return results
'''),
        ("one parameter at a time for all trials (drawing order)", '''
def random_search(objective, space, num_trials, rng):
    columns = {}
    for name, (low, high, scale) in space.items():
        if scale == "log":
            columns[name] = 10 ** rng.uniform(np.log10(low), np.log10(high), num_trials)
        else:
            columns[name] = rng.uniform(low, high, num_trials)
    results = []
    for i in range(num_trials):
        params = {name: float(columns[name][i]) for name in space}
        results.append((params, objective(params)))
    return results
'''),
        ("results sorted best first instead of in the order tried", '''
def random_search(objective, space, num_trials, rng):
    results = []
    for _ in range(num_trials):
        params = {}
        for name, (low, high, scale) in space.items():
            if scale == "log":
                params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
            else:
                params[name] = float(rng.uniform(low, high))
        results.append((params, objective(params)))
    return sorted(results, key=lambda r: r[1], reverse=True)
'''),
        ("the same dict object reused for every trial", '''
def random_search(objective, space, num_trials, rng):
    results, params = [], {}
    for _ in range(num_trials):
        for name, (low, high, scale) in space.items():
            if scale == "log":
                params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
            else:
                params[name] = float(rng.uniform(low, high))
        results.append((params, objective(params)))
    return results
'''),
    ],
    "grid_search": [
        ("np.linspace for log parameters too", '''
def grid_search(objective, space, points_per_dim):
    import itertools
    axes = [np.linspace(low, high, points_per_dim) for low, high, scale in space.values()]
    results = []
    for values in itertools.product(*axes):
        params = {name: float(v) for name, v in zip(space, values)}
        results.append((params, objective(params)))
    return results
'''),
        ("high end left out (endpoint=False)", '''
def grid_search(objective, space, points_per_dim):
    import itertools
    axes = []
    for low, high, scale in space.values():
        if scale == "log":
            axes.append(np.logspace(np.log10(low), np.log10(high), points_per_dim, endpoint=False))
        else:
            axes.append(np.linspace(low, high, points_per_dim, endpoint=False))
    results = []
    for values in itertools.product(*axes):
        params = {name: float(v) for name, v in zip(space, values)}
        results.append((params, objective(params)))
    return results
'''),
        ("the first parameter varies fastest", '''
def grid_search(objective, space, points_per_dim):
    import itertools
    names = list(space)[::-1]
    axes = []
    for name in names:
        low, high, scale = space[name]
        if scale == "log":
            axes.append(np.logspace(np.log10(low), np.log10(high), points_per_dim))
        else:
            axes.append(np.linspace(low, high, points_per_dim))
    results = []
    for values in itertools.product(*axes):
        params = {name: float(values[names.index(name)]) for name in space}
        results.append((params, objective(params)))
    return results
'''),
        ("logspace given the bounds themselves instead of their log10", '''
def grid_search(objective, space, points_per_dim):
    import itertools
    axes = []
    for low, high, scale in space.values():
        if scale == "log":
            axes.append(np.logspace(low, high, points_per_dim))
        else:
            axes.append(np.linspace(low, high, points_per_dim))
    results = []
    for values in itertools.product(*axes):
        params = {name: float(v) for name, v in zip(space, values)}
        results.append((params, objective(params)))
    return results
'''),
    ],
    "coarse_to_fine": [
        ("narrows around the worst results (ascending sort)", '''
def coarse_to_fine(objective, space, stages, rng, top_k=3):
    history = []
    for num_trials, num_epochs in stages:
        results = search.random_search(lambda p: objective(p, num_epochs), space, num_trials, rng)
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
        best = sorted(results, key=lambda r: r[1])[:top_k]
        space = {name: (min(p[name] for p, _ in best), max(p[name] for p, _ in best), scale)
                 for name, (_, _, scale) in space.items()}
    return history
'''),
        ("never narrows: every stage searches the first space", '''
def coarse_to_fine(objective, space, stages, rng, top_k=3):
    history = []
    for num_trials, num_epochs in stages:
        results = search.random_search(lambda p: objective(p, num_epochs), space, num_trials, rng)
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
    return history
'''),
        ("the first stage's epochs for every stage", '''
def coarse_to_fine(objective, space, stages, rng, top_k=3):
    history = []
    num_epochs = stages[0][1]
    for num_trials, _ in stages:
        results = search.random_search(lambda p: objective(p, num_epochs), space, num_trials, rng)
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
        best = sorted(results, key=lambda r: r[1], reverse=True)[:top_k]
        space = {name: (min(p[name] for p, _ in best), max(p[name] for p, _ in best), scale)
                 for name, (_, _, scale) in space.items()}
    return history
'''),
        ("ties broken by the later trial (sorted ascending, then reversed)", '''
def coarse_to_fine(objective, space, stages, rng, top_k=3):
    history = []
    for num_trials, num_epochs in stages:
        results = search.random_search(lambda p: objective(p, num_epochs), space, num_trials, rng)
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
        best = sorted(results, key=lambda r: r[1])[::-1][:top_k]
        space = {name: (min(p[name] for p, _ in best), max(p[name] for p, _ in best), scale)
                 for name, (_, _, scale) in space.items()}
    return history
'''),
        ("a fresh generator per stage", '''
def coarse_to_fine(objective, space, stages, rng, top_k=3):
    history = []
    for num_trials, num_epochs in stages:
        results = search.random_search(lambda p: objective(p, num_epochs), space, num_trials, np.random.default_rng(0))
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
        best = sorted(results, key=lambda r: r[1], reverse=True)[:top_k]
        space = {name: (min(p[name] for p, _ in best), max(p[name] for p, _ in best), scale)
                 for name, (_, _, scale) in space.items()}
    return history
'''),
    ],
    "best_on_border": [
        ("log ranges measured on the linear scale", '''
def best_on_border(results, space, margin=0.1):
    params = max(results, key=lambda r: r[1])[0]
    border = {}
    for name, (low, high, scale) in space.items():
        width = margin * (high - low)
        if params[name] - low <= width:
            border[name] = "low"
        elif high - params[name] <= width:
            border[name] = "high"
    return border
'''),
        ("the margin exclusive (<)", '''
def best_on_border(results, space, margin=0.1):
    params = max(results, key=lambda r: r[1])[0]
    border = {}
    for name, (low, high, scale) in space.items():
        value = params[name]
        if scale == "log":
            low, high, value = np.log10(low), np.log10(high), np.log10(value)
        if value - low < margin * (high - low):
            border[name] = "low"
        elif high - value < margin * (high - low):
            border[name] = "high"
    return border
'''),
        ("the margin as an absolute distance", '''
def best_on_border(results, space, margin=0.1):
    params = max(results, key=lambda r: r[1])[0]
    border = {}
    for name, (low, high, scale) in space.items():
        value = params[name]
        if scale == "log":
            low, high, value = np.log10(low), np.log10(high), np.log10(value)
        if value - low <= margin:
            border[name] = "low"
        elif high - value <= margin:
            border[name] = "high"
    return border
'''),
        ("checks the last best result (ties)", '''
def best_on_border(results, space, margin=0.1):
    best = max(r[1] for r in results)
    params = [p for p, s in results if s == best][-1]
    border = {}
    for name, (low, high, scale) in space.items():
        value = params[name]
        if scale == "log":
            low, high, value = np.log10(low), np.log10(high), np.log10(value)
        if value - low <= margin * (high - low):
            border[name] = "low"
        elif high - value <= margin * (high - low):
            border[name] = "high"
    return border
'''),
    ],
    "successive_halving": [
        ("keeps the worst configs", '''
def successive_halving(objective, configs, min_epochs=1, eta=3):
    alive, rungs, num_epochs = list(range(len(configs))), [], min_epochs
    while True:
        rung = [(i, num_epochs, objective(configs[i], num_epochs)) for i in alive]
        rungs.append(rung)
        if len(alive) == 1:
            return alive[0], rungs
        ranked = sorted(rung, key=lambda entry: entry[2])
        alive = sorted(i for i, _, _ in ranked[:max(1, len(alive) // eta)])
        num_epochs *= eta
'''),
        ("the same epochs on every rung", '''
def successive_halving(objective, configs, min_epochs=1, eta=3):
    alive, rungs = list(range(len(configs))), []
    while True:
        rung = [(i, min_epochs, objective(configs[i], min_epochs)) for i in alive]
        rungs.append(rung)
        if len(alive) == 1:
            return alive[0], rungs
        ranked = sorted(rung, key=lambda entry: entry[2], reverse=True)
        alive = sorted(i for i, _, _ in ranked[:max(1, len(alive) // eta)])
'''),
        ("always halves, whatever eta", '''
def successive_halving(objective, configs, min_epochs=1, eta=3):
    alive, rungs, num_epochs = list(range(len(configs))), [], min_epochs
    while True:
        rung = [(i, num_epochs, objective(configs[i], num_epochs)) for i in alive]
        rungs.append(rung)
        if len(alive) == 1:
            return alive[0], rungs
        ranked = sorted(rung, key=lambda entry: entry[2], reverse=True)
        alive = sorted(i for i, _, _ in ranked[:max(1, len(alive) // 2)])
        num_epochs *= eta
'''),
        ("stops one rung early: returns the best of the last rung of several", '''
def successive_halving(objective, configs, min_epochs=1, eta=3):
    alive, rungs, num_epochs = list(range(len(configs))), [], min_epochs
    while True:
        rung = [(i, num_epochs, objective(configs[i], num_epochs)) for i in alive]
        rungs.append(rung)
        ranked = sorted(rung, key=lambda entry: entry[2], reverse=True)
        keep = max(1, len(alive) // eta)
        if keep == 1:
            return ranked[0][0], rungs
        alive = sorted(i for i, _, _ in ranked[:keep])
        num_epochs *= eta
'''),
        ("survivors in rank order instead of index order", '''
def successive_halving(objective, configs, min_epochs=1, eta=3):
    alive, rungs, num_epochs = list(range(len(configs))), [], min_epochs
    while True:
        rung = [(i, num_epochs, objective(configs[i], num_epochs)) for i in alive]
        rungs.append(rung)
        if len(alive) == 1:
            return alive[0], rungs
        ranked = sorted(rung, key=lambda entry: entry[2], reverse=True)
        alive = [i for i, _, _ in ranked[:max(1, len(alive) // eta)]]
        num_epochs *= eta
'''),
    ],
    "rank_checkpoints": [
        ("worst first", '''
def rank_checkpoints(names):
    import re
    found = []
    for name in names:
        match = re.fullmatch(r"val([0-9]+\\.[0-9]+)_.*", name)
        if match:
            found.append((float(match.group(1)), name))
    return sorted(found)
'''),
        ("file names sorted as strings (ties and decimals wrong)", '''
def rank_checkpoints(names):
    ranked = sorted((n for n in names if n.startswith("val") and "_" in n), reverse=True)
    return [(float(n[3:n.index("_")]), n) for n in ranked]
'''),
        ("other files not ignored: crashes on STOP", '''
def rank_checkpoints(names):
    found = [(float(name[3:].split("_")[0]), name) for name in names]
    return sorted(found, key=lambda entry: (-entry[0], entry[1]))
'''),
        ("re.match without the end anchor is fine, but no digits check: 'val.53_x' accepted", '''
def rank_checkpoints(names):
    found = []
    for name in names:
        if name.startswith("val") and "_" in name:
            try:
                found.append((float(name[3:name.index("_")]), name))
            except ValueError:
                pass
    return sorted(found, key=lambda entry: (-entry[0], entry[1]))
'''),
    ],
}

ALTERNATIVES = {
    "sample_log_uniform": [
        ("natural logs and exp", '''
def sample_log_uniform(low, high, rng, size=None):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))
'''),
        ("power of a ratio", '''
def sample_log_uniform(low, high, rng, size=None):
    u = rng.uniform(0.0, 1.0, size)
    return low * (high / low) ** u
'''),
    ],
    "random_search": [
        ("a helper per parameter, np.power and a comprehension", '''
def random_search(objective, space, num_trials, rng):
    def draw(low, high, scale):
        if scale == "log":
            return float(np.power(10.0, rng.uniform(np.log10(low), np.log10(high))))
        return float(rng.uniform(low, high))

    settings = []
    for _ in range(num_trials):
        settings.append({name: draw(*spec) for name, spec in space.items()})
        settings[-1] = (settings[-1], objective(settings[-1]))
    return settings
'''),
    ],
    "grid_search": [
        ("np.ndindex over the index grid", '''
def grid_search(objective, space, points_per_dim):
    names = list(space)
    axes = [10 ** np.linspace(np.log10(lo), np.log10(hi), points_per_dim) if scale == "log"
            else np.linspace(lo, hi, points_per_dim) for lo, hi, scale in space.values()]
    results = []
    for index in np.ndindex(*(len(a) for a in axes)):
        params = {name: float(axes[k][i]) for k, (name, i) in enumerate(zip(names, index))}
        results.append((params, objective(params)))
    return results
'''),
    ],
    "coarse_to_fine": [
        ("own sampling and a stable argsort", '''
def coarse_to_fine(objective, space, stages, rng, top_k=3):
    history = []
    for num_trials, num_epochs in stages:
        results = []
        for _ in range(num_trials):
            params = {}
            for name, (low, high, scale) in space.items():
                if scale == "log":
                    params[name] = float(10 ** rng.uniform(np.log10(low), np.log10(high)))
                else:
                    params[name] = float(rng.uniform(low, high))
            results.append((params, objective(params, num_epochs)))
        history.append({"space": space, "num_epochs": num_epochs, "results": results})
        order = np.argsort([-s for _, s in results], kind="stable")[:top_k]
        space = {name: (min(results[i][0][name] for i in order), max(results[i][0][name] for i in order), spec[2])
                 for name, spec in space.items()}
    return history
'''),
    ],
    "best_on_border": [
        ("relative position in [0, 1]", '''
def best_on_border(results, space, margin=0.1):
    best_score = max(score for _, score in results)
    params = next(p for p, score in results if score == best_score)
    out = {}
    for name, (low, high, scale) in space.items():
        f = np.log10 if scale == "log" else (lambda v: v)
        lo, hi, v = f(low), f(high), f(params[name])
        if v - lo <= margin * (hi - lo):
            out[name] = "low"
        elif hi - v <= margin * (hi - lo):
            out[name] = "high"
    return out
'''),
    ],
    "successive_halving": [
        ("recursion over the rungs, np.argsort(kind='stable')", '''
def successive_halving(objective, configs, min_epochs=1, eta=3):
    def rung(alive, epochs):
        scores = [objective(configs[i], epochs) for i in alive]
        here = [(i, epochs, s) for i, s in zip(alive, scores)]
        if len(alive) == 1:
            return alive[0], [here]
        keep = np.argsort([-s for s in scores], kind="stable")[:max(1, len(alive) // eta)]
        best, later = rung(sorted(alive[k] for k in keep), epochs * eta)
        return best, [here] + later
    return rung(list(range(len(configs))), min_epochs)
'''),
    ],
    "rank_checkpoints": [
        ("str methods instead of a regular expression", '''
def rank_checkpoints(names):
    found = []
    for name in names:
        if not name.startswith("val") or "_" not in name:
            continue
        number = name[3:name.index("_")]
        whole, dot, frac = number.partition(".")
        if dot and whole.isdecimal() and frac.isdecimal() and whole.isascii() and frac.isascii():
            found.append((float(number), name))
    found.sort(key=lambda entry: entry[1])
    found.sort(key=lambda entry: entry[0], reverse=True)
    return found
'''),
    ],
}

EQUIVALENT_MUTANTS = {}
