"""Typical wrong answers for lecture 13 (the whole training pipeline on a CNN, in PyTorch).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES lists correct answers written differently from the reference (each must pass);
EQUIVALENT_MUTANTS records the generated mutants no test can tell from the answer, with a reason.
"""

MISTAKES = {
    "whitening_filters": [
        ("eigenvectors taken as rows of eigh's result (they are its columns)", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    mu = x.mean(dim=0)
    eigvals, eigvecs = torch.linalg.eigh((x - mu).T @ (x - mu) / P)
    eigvals, eigvecs = eigvals.flip(0), eigvecs.flip(0)
    filters = eigvecs / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]
    weight = torch.cat([filters, -filters])
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), (-weight @ mu).to(patches.dtype)
'''),
        ("eigenvalues left in eigh's ascending order", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    mu = x.mean(dim=0)
    eigvals, eigvecs = torch.linalg.eigh((x - mu).T @ (x - mu) / P)
    filters = eigvecs.T / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]
    weight = torch.cat([filters, -filters])
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), (-weight @ mu).to(patches.dtype)
'''),
        ("patches not centered: the second moment instead of the covariance", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    eigvals, eigvecs = torch.linalg.eigh(x.T @ x / P)
    eigvals, eigvecs = eigvals.flip(0), eigvecs.flip(1)
    filters = eigvecs.T / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]
    weight = torch.cat([filters, -filters])
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), (-weight @ x.mean(dim=0)).to(patches.dtype)
'''),
        ("divides by the eigenvalue instead of its square root", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    mu = x.mean(dim=0)
    eigvals, eigvecs = torch.linalg.eigh((x - mu).T @ (x - mu) / P)
    eigvals, eigvecs = eigvals.flip(0), eigvecs.flip(1)
    filters = eigvecs.T / (eigvals.clamp(min=0) + eps)[:, None]
    weight = torch.cat([filters, -filters])
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), (-weight @ mu).to(patches.dtype)
'''),
        ("no bias: the outputs keep the patches' mean", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    mu = x.mean(dim=0)
    eigvals, eigvecs = torch.linalg.eigh((x - mu).T @ (x - mu) / P)
    eigvals, eigvecs = eigvals.flip(0), eigvecs.flip(1)
    filters = eigvecs.T / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]
    weight = torch.cat([filters, -filters])
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), torch.zeros(len(weight), dtype=patches.dtype)
'''),
        ("only the D filters, without their negatives", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    mu = x.mean(dim=0)
    eigvals, eigvecs = torch.linalg.eigh((x - mu).T @ (x - mu) / P)
    eigvals, eigvecs = eigvals.flip(0), eigvecs.flip(1)
    weight = eigvecs.T / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), (-weight @ mu).to(patches.dtype)
'''),
    ],
    "param_groups": [
        ("decays every parameter whose name ends in 'weight' (batch-norm scales too)", '''
def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (decay if name.endswith("weight") else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
'''),
        ("keeps the frozen parameters in the groups", '''
def param_groups(model, weight_decay):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
'''),
        ("leaves weight_decay out of the second group (it then gets the optimizer's default)", '''
def param_groups(model, weight_decay):
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay}]
'''),
        ("groups in the wrong order (no-decay first)", '''
def param_groups(model, weight_decay):
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": weight_decay}]
'''),
    ],
    "train_step": [
        ("never zeroes the gradients: they accumulate over the steps", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    model.train()
    loss = torch.nn.functional.cross_entropy(model(X), y, label_smoothing=label_smoothing)
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
        ("does not switch to train mode (batch norm uses its running statistics)", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), y, label_smoothing=label_smoothing)
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
        ("smoothing spread over the C - 1 wrong classes only", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    model.train()
    optimizer.zero_grad()
    logp = torch.log_softmax(model(X), dim=1)
    C = logp.shape[1]
    targets = torch.full_like(logp, label_smoothing / max(C - 1, 1))
    targets.scatter_(1, y[:, None], 1 - label_smoothing)
    loss = -(targets * logp).sum(dim=1).mean()
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
        ("returns the loss after the update (a second forward pass)", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    model.train()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), y, label_smoothing=label_smoothing)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        return torch.nn.functional.cross_entropy(model(X), y, label_smoothing=label_smoothing).item()
'''),
        ("sums the loss over the batch instead of averaging", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    model.train()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), y, label_smoothing=label_smoothing, reduction="sum")
    loss.backward()
    optimizer.step()
    return loss.item()
'''),
    ],
    "evaluate_tta": [
        ("averages the scores, then takes the softmax", '''
def evaluate_tta(model, X, flip=True, batch_size=500):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        scores = model(X)
        if flip:
            scores = (scores + model(X.flip(-1))) / 2
    model.train(was_training)
    return torch.softmax(scores, dim=1)
'''),
        ("evaluates in train mode: batch statistics, running statistics updated", '''
def evaluate_tta(model, X, flip=True, batch_size=500):
    with torch.no_grad():
        probs = torch.softmax(model(X), dim=1)
        if flip:
            probs = (probs + torch.softmax(model(X.flip(-1)), dim=1)) / 2
    return probs
'''),
        ("flips the images upside down (the height axis)", '''
def evaluate_tta(model, X, flip=True, batch_size=500):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(X), dim=1)
        if flip:
            probs = (probs + torch.softmax(model(X.flip(-2)), dim=1)) / 2
    model.train(was_training)
    return probs
'''),
        ("leaves the model in eval mode", '''
def evaluate_tta(model, X, flip=True, batch_size=500):
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(X), dim=1)
        if flip:
            probs = (probs + torch.softmax(model(X.flip(-1)), dim=1)) / 2
    return probs
'''),
    ],
    "ema_update_torch": [
        ("averages the parameters only: the batch-norm statistics never move", '''
def ema_update_torch(ema_model, model, decay):
    with torch.no_grad():
        for e, x in zip(ema_model.parameters(), model.parameters()):
            e.mul_(decay).add_(x, alpha=1 - decay)
'''),
        ("decay and 1 - decay swapped", '''
def ema_update_torch(ema_model, model, decay):
    with torch.no_grad():
        for e, x in zip(ema_model.state_dict().values(), model.state_dict().values()):
            if e.is_floating_point():
                e.mul_(1 - decay).add_(x, alpha=decay)
            else:
                e.copy_(x)
'''),
        ("rebinds a loop variable: nothing is written", '''
def ema_update_torch(ema_model, model, decay):
    with torch.no_grad():
        for e, x in zip(ema_model.state_dict().values(), model.state_dict().values()):
            if e.is_floating_point():
                e = decay * e + (1 - decay) * x
'''),
        ("leaves the integer counters as they were", '''
def ema_update_torch(ema_model, model, decay):
    with torch.no_grad():
        for e, x in zip(ema_model.state_dict().values(), model.state_dict().values()):
            if e.is_floating_point():
                e.mul_(decay).add_(x, alpha=1 - decay)
'''),
    ],
}

ALTERNATIVES = {
    "whitening_filters": [
        ("numpy: np.cov and np.linalg.eigh, sorted with argsort", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.detach().reshape(P, -1).double().numpy()
    mu = x.mean(axis=0)
    cov = np.atleast_2d(np.cov(x, rowvar=False, bias=True)) if P > 1 else np.zeros((x.shape[1], x.shape[1]))
    eigvals, eigvecs = np.linalg.eigh(cov)
    order = np.argsort(eigvals)[::-1]
    eigvals, eigvecs = np.maximum(eigvals[order], 0), eigvecs[:, order]
    filters = (eigvecs / np.sqrt(eigvals + eps)).T
    weight = np.concatenate([filters, -filters])
    bias = -weight @ mu
    return (torch.from_numpy(weight.reshape(-1, C, kh, kw)).to(patches.dtype),
            torch.from_numpy(bias).to(patches.dtype))
'''),
        ("the SVD of the centered patches (V and S^2 / P)", '''
def whitening_filters(patches, eps=5e-4):
    P, C, kh, kw = patches.shape
    x = patches.flatten(1).to(torch.float64)
    mu = x.mean(0)
    D = x.shape[1]
    _, s, vh = torch.linalg.svd((x - mu) / P ** 0.5, full_matrices=True)
    variances = torch.zeros(D, dtype=torch.float64)
    variances[:len(s)] = s ** 2
    filters = vh / (variances + eps).sqrt().unsqueeze(1)
    weight = torch.cat((filters, -filters), dim=0)
    bias = -(weight @ mu)
    return weight.view(2 * D, C, kh, kw).type(patches.dtype), bias.type(patches.dtype)
'''),
    ],
    "param_groups": [
        ("by module type: the weights of Conv and Linear layers", '''
def param_groups(model, weight_decay):
    weights = {id(m.weight) for m in model.modules()
               if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.Linear))}
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [{"params": [p for p in trainable if id(p) in weights], "weight_decay": weight_decay},
            {"params": [p for p in trainable if id(p) not in weights], "weight_decay": 0.0}]
'''),
        ("named_parameters, p.dim(), extra keys in the groups", '''
def param_groups(model, weight_decay):
    groups = {"decay": [], "no_decay": []}
    for _, p in model.named_parameters():
        if not p.requires_grad:
            continue
        groups["decay" if p.dim() > 1 else "no_decay"].append(p)
    return [{"params": groups["decay"], "weight_decay": float(weight_decay), "name": "decay"},
            {"params": groups["no_decay"], "weight_decay": 0.0, "name": "no_decay"}]
'''),
    ],
    "train_step": [
        ("the smoothed targets written out, set_to_none=False", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    model.train(True)
    optimizer.zero_grad(set_to_none=False)
    scores = model(X)
    C = scores.shape[1]
    targets = torch.nn.functional.one_hot(y, C).to(scores.dtype) * (1 - label_smoothing) + label_smoothing / C
    loss = torch.sum(-targets * torch.log_softmax(scores, dim=1), dim=1).mean()
    loss.backward()
    optimizer.step()
    return float(loss)
'''),
        ("model.zero_grad and a (1 - eps) NLL + eps uniform mix", '''
def train_step(model, optimizer, X, y, label_smoothing=0.0):
    model.train()
    model.zero_grad()
    logp = torch.nn.functional.log_softmax(model(X), dim=-1)
    nll = torch.nn.functional.nll_loss(logp, y)
    uniform = -logp.mean(dim=-1).mean()
    loss = (1 - label_smoothing) * nll + label_smoothing * uniform
    loss.backward()
    optimizer.step()
    return loss.detach().item()
'''),
    ],
    "evaluate_tta": [
        ("one pass over the image and mirror stacked, torch.inference_mode", '''
def evaluate_tta(model, X, flip=True, batch_size=500):
    mode = model.training
    model.train(False)
    parts = []
    with torch.inference_mode():
        for chunk in torch.split(X, batch_size):
            views = torch.cat([chunk, torch.flip(chunk, dims=[3])]) if flip else chunk
            p = torch.nn.functional.softmax(model(views), dim=-1)
            parts.append(p.reshape(2, len(chunk), -1).mean(0) if flip else p)
    model.train(mode)
    return torch.cat(parts).clone()
'''),
        ("log-sum-exp mean of the probabilities, try/finally for the mode", '''
def evaluate_tta(model, X, flip=True, batch_size=500):
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = []
            for i in range(0, X.shape[0], batch_size):
                xb = X[i:i + batch_size]
                logps = [torch.log_softmax(model(xb), 1)]
                if flip:
                    logps.append(torch.log_softmax(model(torch.flip(xb, [-1])), 1))
                out.append(torch.logsumexp(torch.stack(logps), 0).exp() / len(logps))
            return torch.cat(out)
    finally:
        model.train(was)
'''),
    ],
    "ema_update_torch": [
        ("lerp_ over parameters and buffers separately", '''
def ema_update_torch(ema_model, model, decay):
    with torch.no_grad():
        for e, x in zip(ema_model.parameters(), model.parameters()):
            e.lerp_(x, 1 - decay)
        for e, x in zip(ema_model.buffers(), model.buffers()):
            if torch.is_floating_point(e):
                e.lerp_(x, 1 - decay)
            else:
                e.copy_(x)
'''),
        ("state dicts by name, copy_ of the new value", '''
def ema_update_torch(ema_model, model, decay):
    current = model.state_dict()
    with torch.no_grad():
        for name, e in ema_model.state_dict().items():
            x = current[name]
            e.copy_(decay * e + (1.0 - decay) * x if x.dtype.is_floating_point else x)
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "evaluate_tta": {
        "def evaluate_tta(model, X, flip=True, batch_size=500):: 500 -> 501":
            "the docstring promises that the result does not depend on the batch size (eval mode: each image alone)",
    },
}
