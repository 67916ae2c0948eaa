"""Typical wrong answers for lecture 12 (transfer and multi-task learning).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES lists correct answers written differently from the reference (each must pass);
EQUIVALENT_MUTANTS records the generated mutants no test can tell from the answer, with a reason.
"""

MISTAKES = {
    "extract_features": [
        ("one layer too many: applies the classifier's affine layer as well", '''
def extract_features(params, X, depth, activation="relu"):
    out = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    for i in range(1, depth + 2):
        out, _ = layers.affine_activation_forward(out, params[f"W{i}"], params[f"b{i}"], activation)
    return out
'''),
        ("no activation after the last layer (pre-activations)", '''
def extract_features(params, X, depth, activation="relu"):
    out = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    for i in range(1, depth + 1):
        out = out @ params[f"W{i}"] + params[f"b{i}"]
        if i < depth:
            out = layers.ACTIVATIONS[activation][0](out)[0]
    return out
'''),
        ("always ReLU, whatever the activation", '''
def extract_features(params, X, depth, activation="relu"):
    out = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    for i in range(1, depth + 1):
        out = np.maximum(out @ params[f"W{i}"] + params[f"b{i}"], 0)
    return out
'''),
        ("does not flatten the input", '''
def extract_features(params, X, depth, activation="relu"):
    out = np.asarray(X, dtype=np.float64)
    for i in range(1, depth + 1):
        out, _ = layers.affine_activation_forward(out, params[f"W{i}"], params[f"b{i}"], activation)
    return out
'''),
    ],
    "train_linear_head": [
        ("a hidden layer in the head (not linear)", '''
def train_linear_head(features, y, num_classes, reg=1e-3, lr=0.05, num_epochs=30, batch_size=50, seed=0):
    head = FullyConnectedNet([16], features.shape[1], num_classes, reg=reg, seed=seed)
    Solver(head, {"X_train": features, "y_train": y}, update_rule="sgd_momentum", optim_config={"lr": lr},
           num_epochs=num_epochs, batch_size=batch_size, sampling="epoch", evaluate=False, seed=seed,
           progress=False).train()
    return head
'''),
        ("forgets the L2 strength", '''
def train_linear_head(features, y, num_classes, reg=1e-3, lr=0.05, num_epochs=30, batch_size=50, seed=0):
    head = FullyConnectedNet([], features.shape[1], num_classes, seed=seed)
    Solver(head, {"X_train": features, "y_train": y}, update_rule="sgd_momentum", optim_config={"lr": lr},
           num_epochs=num_epochs, batch_size=batch_size, sampling="epoch", evaluate=False, seed=seed,
           progress=False).train()
    return head
'''),
        ("random minibatches (the Solver's default sampling) instead of one pass per epoch", '''
def train_linear_head(features, y, num_classes, reg=1e-3, lr=0.05, num_epochs=30, batch_size=50, seed=0):
    head = FullyConnectedNet([], features.shape[1], num_classes, reg=reg, seed=seed)
    Solver(head, {"X_train": features, "y_train": y}, update_rule="sgd_momentum", optim_config={"lr": lr},
           num_epochs=num_epochs, batch_size=batch_size, evaluate=False, seed=seed, progress=False).train()
    return head
'''),
        ("never trains: returns the initialized head", '''
def train_linear_head(features, y, num_classes, reg=1e-3, lr=0.05, num_epochs=30, batch_size=50, seed=0):
    return FullyConnectedNet([], features.shape[1], num_classes, reg=reg, seed=seed)
'''),
    ],
    "fine_tune": [
        ("rates read from the top: layer_lrs[-i] for layer i", '''
def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    L = model.num_layers
    factors = [1.0] * L if layer_lrs is None else list(layer_lrs)
    starts = [0] * L if unfreeze_at is None else list(unfreeze_at)

    class Rates:
        def on_batch_begin(self, solver):
            for name, config in solver.optim_configs.items():
                i = int(name[1:])
                config["lr"] = lr * factors[-i] if solver.epoch >= starts[i - 1] else 0.0

    return Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                  batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data, seed=seed,
                  progress=False, callbacks=[Rates()]).train()
'''),
        ("off by one: unfreezes after epoch unfreeze_at (epoch > e instead of >=)", '''
def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    L = model.num_layers
    factors = [1.0] * L if layer_lrs is None else list(layer_lrs)
    starts = [0] * L if unfreeze_at is None else list(unfreeze_at)

    class Rates:
        def on_batch_begin(self, solver):
            for name, config in solver.optim_configs.items():
                i = int(name[1:]) - 1
                config["lr"] = lr * factors[i] if solver.epoch > starts[i] else 0.0

    return Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                  batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data, seed=seed,
                  progress=False, callbacks=[Rates()]).train()
'''),
        ("sets the rates once at the start of training: frozen layers never thaw", '''
def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    L = model.num_layers
    factors = [1.0] * L if layer_lrs is None else list(layer_lrs)
    starts = [0] * L if unfreeze_at is None else list(unfreeze_at)

    class Rates:
        def on_train_begin(self, solver):
            for name, config in solver.optim_configs.items():
                i = int(name[1:]) - 1
                config["lr"] = lr * factors[i] if starts[i] == 0 else 0.0

    return Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                  batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data, seed=seed,
                  progress=False, callbacks=[Rates()]).train()
'''),
        ("multiplies the current rate by the factor before every update (compounds)", '''
def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    L = model.num_layers
    factors = [1.0] * L if layer_lrs is None else list(layer_lrs)
    starts = [0] * L if unfreeze_at is None else list(unfreeze_at)

    class Rates:
        def on_batch_begin(self, solver):
            for name, config in solver.optim_configs.items():
                i = int(name[1:]) - 1
                if solver.epoch >= starts[i]:
                    config["lr"] = config.get("lr") or lr
                    config["lr"] *= factors[i]
                else:
                    config["lr"] = 0.0

    return Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                  batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data, seed=seed,
                  progress=False, callbacks=[Rates()]).train()
'''),
        ("freezes only the weights: the biases of a frozen layer still learn", '''
def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    L = model.num_layers
    factors = [1.0] * L if layer_lrs is None else list(layer_lrs)
    starts = [0] * L if unfreeze_at is None else list(unfreeze_at)

    class Rates:
        def on_batch_begin(self, solver):
            for name, config in solver.optim_configs.items():
                i = int(name[1:]) - 1
                frozen = name.startswith("W") and solver.epoch < starts[i]
                config["lr"] = 0.0 if frozen else lr * factors[i]

    return Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                  batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data, seed=seed,
                  progress=False, callbacks=[Rates()]).train()
'''),
    ],
    "multitask_loss": [
        ("the auxiliary gradient is not weighted (only its loss is)", '''
def multitask_loss(params, X, y_main, y_aux, aux_weight=1.0, activation="relu"):
    depth = sum(1 for name in params if name[0] == "W" and name[1:].isdigit())
    h = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    caches = []
    for i in range(1, depth + 1):
        h, cache = layers.affine_activation_forward(h, params[f"W{i}"], params[f"b{i}"], activation)
        caches.append(cache)
    loss, grads, dh = 0.0, {}, np.zeros_like(h)
    for task, labels, weight in (("main", y_main, 1.0), ("aux", y_aux, aux_weight)):
        scores, cache = layers.affine_forward(h, params[f"W_{task}"], params[f"b_{task}"])
        has = np.asarray(labels) >= 0
        dscores = np.zeros_like(scores)
        if has.any():
            task_loss, dscores[has] = losses.softmax_loss(scores[has], np.asarray(labels)[has])
            loss += weight * task_loss
        dh_task, grads[f"W_{task}"], grads[f"b_{task}"] = layers.affine_backward(dscores, cache)
        dh += dh_task
    for i in range(depth, 0, -1):
        dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(dh, caches[i - 1])
    return float(loss), grads
'''),
        ("the encoder gets only the main head's gradient", '''
def multitask_loss(params, X, y_main, y_aux, aux_weight=1.0, activation="relu"):
    depth = sum(1 for name in params if name[0] == "W" and name[1:].isdigit())
    h = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    caches = []
    for i in range(1, depth + 1):
        h, cache = layers.affine_activation_forward(h, params[f"W{i}"], params[f"b{i}"], activation)
        caches.append(cache)
    loss, grads = 0.0, {}
    for task, labels, weight in (("main", y_main, 1.0), ("aux", y_aux, aux_weight)):
        scores, cache = layers.affine_forward(h, params[f"W_{task}"], params[f"b_{task}"])
        has = np.asarray(labels) >= 0
        dscores = np.zeros_like(scores)
        if has.any():
            task_loss, dscores[has] = losses.softmax_loss(scores[has], np.asarray(labels)[has])
            loss += weight * task_loss
        dh_task, grads[f"W_{task}"], grads[f"b_{task}"] = layers.affine_backward(weight * dscores, cache)
        if task == "main":
            dh = dh_task
    for i in range(depth, 0, -1):
        dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(dh, caches[i - 1])
    return float(loss), grads
'''),
        ("no mask: label -1 silently indexes the last class", '''
def multitask_loss(params, X, y_main, y_aux, aux_weight=1.0, activation="relu"):
    depth = sum(1 for name in params if name[0] == "W" and name[1:].isdigit())
    h = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    caches = []
    for i in range(1, depth + 1):
        h, cache = layers.affine_activation_forward(h, params[f"W{i}"], params[f"b{i}"], activation)
        caches.append(cache)
    loss, grads, dh = 0.0, {}, np.zeros_like(h)
    for task, labels, weight in (("main", y_main, 1.0), ("aux", y_aux, aux_weight)):
        scores, cache = layers.affine_forward(h, params[f"W_{task}"], params[f"b_{task}"])
        task_loss, dscores = losses.softmax_loss(scores, np.asarray(labels))
        loss += weight * task_loss
        dh_task, grads[f"W_{task}"], grads[f"b_{task}"] = layers.affine_backward(weight * dscores, cache)
        dh += dh_task
    for i in range(depth, 0, -1):
        dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(dh, caches[i - 1])
    return float(loss), grads
'''),
        ("each task's loss averaged over all N samples, not over its labelled ones", '''
def multitask_loss(params, X, y_main, y_aux, aux_weight=1.0, activation="relu"):
    depth = sum(1 for name in params if name[0] == "W" and name[1:].isdigit())
    h = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    caches = []
    for i in range(1, depth + 1):
        h, cache = layers.affine_activation_forward(h, params[f"W{i}"], params[f"b{i}"], activation)
        caches.append(cache)
    loss, grads, dh = 0.0, {}, np.zeros_like(h)
    for task, labels, weight in (("main", y_main, 1.0), ("aux", y_aux, aux_weight)):
        scores, cache = layers.affine_forward(h, params[f"W_{task}"], params[f"b_{task}"])
        has = np.asarray(labels) >= 0
        dscores = np.zeros_like(scores)
        if has.any():
            task_loss, dscores[has] = losses.softmax_loss(scores[has], np.asarray(labels)[has])
            share = has.sum() / len(X)
            loss += weight * task_loss * share
            dscores *= share
        dh_task, grads[f"W_{task}"], grads[f"b_{task}"] = layers.affine_backward(weight * dscores, cache)
        dh += dh_task
    for i in range(depth, 0, -1):
        dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(dh, caches[i - 1])
    return float(loss), grads
'''),
    ],
    "soft_sharing_penalty": [
        ("no 1/2: reg * sum ||a - b||^2 with gradient reg * (a - b)", '''
def soft_sharing_penalty(params_a, params_b, reg, names=None):
    names = [n for n in params_a if n in params_b] if names is None else names
    loss = sum(reg * float(np.sum((params_a[n] - params_b[n]) ** 2)) for n in names)
    return float(loss), {n: reg * (params_a[n] - params_b[n]) for n in names}, \\
        {n: reg * (params_b[n] - params_a[n]) for n in names}
'''),
        ("the same gradient for both models (pushes them apart on one side)", '''
def soft_sharing_penalty(params_a, params_b, reg, names=None):
    names = [n for n in params_a if n in params_b] if names is None else names
    loss = sum(0.5 * reg * float(np.sum((params_a[n] - params_b[n]) ** 2)) for n in names)
    grads = {n: reg * (params_a[n] - params_b[n]) for n in names}
    return float(loss), grads, dict(grads)
'''),
        ("ignores names: ties every shared parameter", '''
def soft_sharing_penalty(params_a, params_b, reg, names=None):
    names = [n for n in params_a if n in params_b]
    loss = sum(0.5 * reg * float(np.sum((params_a[n] - params_b[n]) ** 2)) for n in names)
    return float(loss), {n: reg * (params_a[n] - params_b[n]) for n in names}, \\
        {n: reg * (params_b[n] - params_a[n]) for n in names}
'''),
    ],
}

ALTERNATIVES = {
    "extract_features": [
        ("written out with np.dot and the activation table, X cast with astype", '''
def extract_features(params, X, depth, activation="relu"):
    forward = layers.ACTIVATIONS[activation][0]
    out = X.astype(float).reshape(X.shape[0], -1)
    for i in range(depth):
        out = forward(np.dot(out, params["W" + str(i + 1)]) + params["b" + str(i + 1)])[0]
    return out
'''),
    ],
    "train_linear_head": [
        ("the update rule as a function, evaluating on the training set without keeping the best epoch", '''
def train_linear_head(features, y, num_classes, reg=1e-3, lr=0.05, num_epochs=30, batch_size=50, seed=0):
    from trainlab import optim
    head = FullyConnectedNet(hidden_dims=[], input_dim=features.shape[1], num_classes=num_classes, reg=reg, seed=seed)
    data = {"X_train": features, "y_train": y, "X_val": features, "y_val": y}
    solver = Solver(head, data, update_rule=optim.sgd_momentum, optim_config={"lr": lr}, num_epochs=num_epochs,
                    batch_size=batch_size, sampling="epoch", keep_best=False, seed=seed, progress=False)
    solver.train()
    return head
'''),
    ],
    "fine_tune": [
        ("rates per name from a dict built once, the freezing test written as a comparison of epochs", '''
def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    n = model.num_layers
    rate = {}
    for i in range(1, n + 1):
        factor = 1.0 if layer_lrs is None else layer_lrs[i - 1]
        start = 0 if unfreeze_at is None else unfreeze_at[i - 1]
        rate[f"W{i}"] = rate[f"b{i}"] = (lr * factor, start)

    class PerLayer:
        def on_batch_begin(self, solver):
            for name in solver.optim_configs:
                value, start = rate[name]
                solver.optim_configs[name]["lr"] = 0.0 if solver.epoch < start else value

    solver = Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                    batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data, seed=seed,
                    progress=False, callbacks=[PerLayer()])
    return solver.train()
'''),
    ],
    "multitask_loss": [
        ("by hand with one-hot targets and masks, ReLU through the layer table", '''
def multitask_loss(params, X, y_main, y_aux, aux_weight=1.0, activation="relu"):
    forward, backward = layers.ACTIVATIONS[activation]
    k = len([n for n in params if n.startswith("W") and n[1:].isdigit()])
    hs, acts = [X.reshape(X.shape[0], -1).astype(float)], []
    for i in range(1, k + 1):
        out, cache = forward(hs[-1] @ params[f"W{i}"] + params[f"b{i}"])
        hs.append(out)
        acts.append(cache)
    h = hs[-1]
    total, grads, dh = 0.0, {}, 0 * h
    for task, labels, weight in (("main", np.asarray(y_main), 1.0), ("aux", np.asarray(y_aux), aux_weight)):
        scores = h @ params[f"W_{task}"] + params[f"b_{task}"]
        keep = labels != -1
        count = keep.sum()
        d = np.zeros_like(scores)
        if count:
            s = scores[keep] - scores[keep].max(axis=1, keepdims=True)
            logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
            onehot = np.eye(scores.shape[1])[labels[keep]]
            total += weight * -(onehot * logp).sum() / count
            d[keep] = weight * (np.exp(logp) - onehot) / count
        grads[f"W_{task}"], grads[f"b_{task}"] = h.T @ d, d.sum(axis=0)
        dh = dh + d @ params[f"W_{task}"].T
    for i in range(k, 0, -1):
        da = backward(dh, acts[i - 1])
        grads[f"W{i}"], grads[f"b{i}"] = hs[i - 1].T @ da, da.sum(axis=0)
        dh = da @ params[f"W{i}"].T
    return total, grads
'''),
    ],
    "soft_sharing_penalty": [
        ("a dict comprehension of differences, the loss with np.vdot", '''
def soft_sharing_penalty(params_a, params_b, reg, names=None):
    tied = set(params_a) & set(params_b) if names is None else names
    diffs = {n: params_a[n] - np.asarray(params_b[n], dtype=float) for n in tied}
    loss = 0.5 * reg * sum(float(np.vdot(d, d)) for d in diffs.values())
    return loss, {n: reg * d for n, d in diffs.items()}, {n: -(reg * d) for n, d in diffs.items()}
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "train_linear_head": {
        "evaluate=False, seed=seed, progress=False): False -> True (#2)":
            "progress=True only draws a progress bar (on stderr); the training is the same",
    },
    "fine_tune": {
        "seed=seed, progress=False, callbacks=[LayerRates()]): False -> True":
            "progress=True only draws a progress bar (on stderr); the training is the same",
        'batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_: False -> True':
            "evaluate=True only measures accuracies after each epoch: epoch sampling draws nothing from the "
            "solver's rng and keep_best=False keeps the final weights, so the result is the same (only slower)",
    },
    "multitask_loss": {
        'depth = sum(1 for name in params if name[0] == "W" and name[1:].isdigi: == -> !=':
            "every encoder layer has both W{i} and b{i} (the docstring's params): counting the b{i} gives the same k",
    },
}
