"""Update rules with one interface: ``next_w, config = rule(w, dw, config)``.

``config`` holds the hyperparameters (defaults set with ``setdefault``) and any running
state of the rule (velocity, moments, step count); the solver keeps one per parameter.
"""


def sgd(w, dw, config=None):
    """Vanilla SGD: w <- w - lr * dw.

    config: lr (float, default 1e-2).
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    return w - config["lr"] * dw, config


RULES = {"sgd": sgd}
