"""ipywidgets explorers for the lectures.

Each builder returns an ``Explorer``: ``widget`` (display it, or leave the explorer as the
last expression of a cell), ``controls`` (name -> control widget), ``update`` (the plain
callback the controls call; it is called once when the explorer is built, so a headless
run draws the default view and tests can call it) and ``state`` (what was last drawn).
Figures are rendered to PNG into an ``ipywidgets.Image``, so they work with any
matplotlib backend and in JupyterLab without extensions.
"""
import io

import ipywidgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from trainlab import optim, schedules, viz


class Explorer:
    """A built widget, its controls, its redraw callback and the state it last drew."""

    def __init__(self, widget, controls, update, state):
        self.widget, self.controls, self.update, self.state = widget, controls, update, state

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


DPI = 144  # pixels per inch of the PNG: 1.5x the browser's 96 CSS pixels per inch, sharp on high-density screens


def _png(fig):
    """PNG bytes of a matplotlib Figure (no pyplot: nothing leaks into the notebook's figures)."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with np.errstate(all="ignore"):  # a diverging path on a log axis overflows harmlessly
        fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _show(image, fig):
    """Draw fig into an ipywidgets.Image at its natural size (96 CSS pixels per inch), not stretched to the cell."""
    png = _png(fig)
    width = int.from_bytes(png[16:20], "big")  # the PNG header's IHDR width
    image.value = png
    image.layout.width = f"{round(width * 96 / DPI)}px"
    image.layout.max_width = "100%"
    image.layout.height = "auto"


def _wire(controls, update):
    for control in controls.values():
        control.observe(lambda change: update(), names="value")


# --------------------------------------------------------------------------- lecture 05

EXPLORER_RULES = ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam")


def _rule_config(rule, lr, momentum):
    """Config of a rule from the explorer's two knobs: momentum is mu, or beta1 for Adam."""
    config = {"lr": lr}
    if rule in ("sgd_momentum", "nesterov"):
        config["momentum"] = momentum
    elif rule == "adam":
        config["beta1"] = momentum
    return config


def draw_optimizer_paths(surface, rule, lr, momentum, num_steps, fig=None):
    """Path of one rule (and plain SGD at the same lr, for reference) on a 2-D surface.

    Returns:
        state: dict with "path" (num_steps + 1, 2), "losses", "sgd_path", "figure".
    """
    f_grad = view = optim.SURFACES[surface]  # one entry: the function and its view
    with np.errstate(all="ignore"):  # a too-large lr may diverge: that is part of the lesson
        path, losses = optim.optimize_path(rule, f_grad, view["w0"], _rule_config(rule, lr, momentum), num_steps)
        sgd_path, _ = optim.optimize_path("sgd", f_grad, view["w0"], {"lr": lr}, num_steps)
    fig = fig or Figure(figsize=(11, 4))
    fig.clear()
    ax_path, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    paths = {rule: path} if rule == "sgd" else {"sgd (same lr)": sgd_path, rule: path}
    viz.plot_paths(f_grad, paths, view["xlim"], view["ylim"], ax=ax_path,
                   title=f"{rule} on the {surface}, lr={lr:.3g}")
    shift = losses - min(losses.min(), 0) + 1e-12 if surface == "ravine" else losses
    ax_loss.plot(shift, color="C1" if rule != "sgd" else "C0")
    ax_loss.set(xlabel="step", ylabel="loss", title=f"loss after {num_steps} steps: {losses[-1]:.3g}")
    if surface == "ravine":
        ax_loss.set_yscale("log")
    return {"path": path, "losses": losses, "sgd_path": sgd_path, "figure": fig}


def optimizer_explorer(surface="ravine", rule="sgd_momentum", lr=0.05, momentum=0.9, num_steps=100):
    """Explorer: pick a surface, an update rule, the learning rate and the momentum.

    Returns:
        Explorer with controls "surface", "rule", "lr", "momentum", "num_steps".
    """
    controls = {
        "surface": ipywidgets.Dropdown(options=sorted(optim.SURFACES), value=surface, description="surface"),
        "rule": ipywidgets.Dropdown(options=EXPLORER_RULES, value=rule, description="rule"),
        "lr": ipywidgets.FloatLogSlider(value=lr, base=10, min=-3, max=1, step=0.05, description="lr",
                                        readout_format=".3g", continuous_update=False),
        "momentum": ipywidgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                           description="mu / beta1", continuous_update=False),
        "num_steps": ipywidgets.IntSlider(value=num_steps, min=10, max=300, step=10, description="steps",
                                          continuous_update=False),
    }
    image = ipywidgets.Image(format="png")
    state = {}
    fig = Figure(figsize=(11, 4))

    def update():
        values = {name: control.value for name, control in controls.items()}
        with np.errstate(all="ignore"):  # a diverging path overflows on the log axis, harmlessly
            state.update(draw_optimizer_paths(fig=fig, **values))
            _show(image, fig)

    _wire(controls, update)
    update()
    box = ipywidgets.VBox([ipywidgets.HBox([controls["surface"], controls["rule"], controls["num_steps"]]),
                           ipywidgets.HBox([controls["lr"], controls["momentum"]]), image])
    return Explorer(box, controls, update, state)


# --------------------------------------------------------------------------- lecture 06


def schedule_rates(name, lr0, num_steps, period, decay, t_mult=1):
    """Rates of a trainlab.schedules schedule at t = 0 .. num_steps - 1 from the explorer's knobs.

    Args:
        name: a key of schedules.SCHEDULES.
        lr0: the starting (or peak) rate.
        num_steps: horizon T of the plot and of schedules that need one.
        period: step_size / first cycle T0 / warmup steps / half cycle, by schedule.
        decay: in (0, 1): the rate falls to decay * lr0 after one period (step, exponential,
            1/t); the low end of the cyclical rate is decay * lr0.
        t_mult: cycle growth of SGDR.
    Returns:
        rates: (num_steps,); call: the call that produced them, as text.
    """
    schedule = schedules.SCHEDULES[name]
    base, args = schedule.explorer_args(lr0, num_steps, period, decay, t_mult)
    rates = np.array([schedule(t, base, **args) for t in range(num_steps)])
    shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in args.items())
    return rates, f"{name}(t, lr0={base:.3g}{', ' if shown else ''}{shown})"


def draw_schedule(name, lr0, num_steps, period, decay, t_mult, log_scale, fig=None):
    """One schedule in color over the others in grey. Returns state with "rates", "call", "figure"."""
    fig = fig or Figure(figsize=(9, 3.5))
    fig.clear()
    ax = fig.subplots()
    for other in schedules.SCHEDULES:
        if other != name:
            ax.plot(schedule_rates(other, lr0, num_steps, period, decay, t_mult)[0], color="0.85", lw=1)
    rates, call = schedule_rates(name, lr0, num_steps, period, decay, t_mult)
    ax.plot(rates, color="C0", lw=2, label=name)
    ax.set(xlabel="step t (from 0)", ylabel="learning rate", title=call)
    if log_scale:
        ax.set_yscale("log")
    ax.legend(loc="upper right")
    return {"rates": rates, "call": call, "figure": fig}


def schedule_explorer(name="cosine_with_restarts", lr0=0.1, num_steps=200, period=40, decay=0.5, t_mult=1):
    """Explorer of every schedule in trainlab.schedules (the others drawn in grey).

    Returns:
        Explorer with controls "name", "lr0", "num_steps", "period", "decay", "t_mult", "log_scale".
    """
    controls = {
        "name": ipywidgets.Dropdown(options=list(schedules.SCHEDULES), value=name, description="schedule"),
        "lr0": ipywidgets.FloatLogSlider(value=lr0, base=10, min=-4, max=0, step=0.1, description="lr0",
                                         readout_format=".2g", continuous_update=False),
        "num_steps": ipywidgets.IntSlider(value=num_steps, min=20, max=1000, step=10, description="steps T",
                                          continuous_update=False),
        "period": ipywidgets.IntSlider(value=period, min=2, max=300, description="period", continuous_update=False),
        "decay": ipywidgets.FloatSlider(value=decay, min=0.05, max=0.95, step=0.05, description="decay",
                                        continuous_update=False),
        "t_mult": ipywidgets.IntSlider(value=t_mult, min=1, max=3, description="SGDR T_mult",
                                       style={"description_width": "initial"}, continuous_update=False),
        "log_scale": ipywidgets.Checkbox(value=False, description="log scale"),
    }
    image = ipywidgets.Image(format="png")
    help_text = ipywidgets.HTML(
        "<small><b>period</b>: step_size, SGDR's first cycle T0, warmup steps or half a cycle; "
        "<b>decay</b>: the rate after one period, as a fraction of lr0 (low end of the cyclical rate); "
        "<b>steps T</b>: horizon of linear, cosine and 1cycle.</small>")
    state = {}
    fig = Figure(figsize=(9, 3.5))

    def update():
        values = {key: control.value for key, control in controls.items()}
        state.update(draw_schedule(fig=fig, **values))
        _show(image, fig)

    _wire(controls, update)
    update()
    box = ipywidgets.VBox([ipywidgets.HBox([controls["name"], controls["lr0"], controls["log_scale"]]),
                           ipywidgets.HBox([controls["num_steps"], controls["period"]]),
                           ipywidgets.HBox([controls["decay"], controls["t_mult"]]), help_text, image])
    return Explorer(box, controls, update, state)


# --------------------------------------------------------------------------- lecture 08

AUGMENT_FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def augment_one(image, flip=False, angle=0.0, shift_y=0, shift_x=0, fill_mode="reflect", brightness=1.0,
                contrast=1.0, noise_std=0.0, cutout_size=0, seed=0):
    """One (H, W, C) image through trainlab.augment with fixed settings, in this order:
    flip, rotate, translate, brightness and contrast factors, Gaussian noise, cutout. Returns (H, W, C) in [0, 1]."""
    from trainlab import augment  # here, not at the top: this section was appended to a shared module

    X = np.asarray(image, dtype=float)[None]
    if flip:
        X = augment.horizontal_flip(X)
    if angle:
        X = augment.rotate(X, angle, fill_mode, cval=0.5)
    if shift_y or shift_x:
        X = augment.translate(X, (shift_y, shift_x), fill_mode, cval=0.5)
    X = augment.adjust_brightness_contrast(X, brightness, contrast)
    rng = np.random.default_rng(seed)  # noise and cutout position: reproducible per seed
    if noise_std:
        X = augment.gaussian_noise(X, noise_std, rng)
    if cutout_size:
        X = augment.cutout(X, cutout_size, rng)
    return np.clip(X[0], 0.0, 1.0)


def draw_augmentation(image, name="image", fig=None, **settings):
    """The original image and its augmented version side by side (settings: see augment_one).

    Returns:
        state: dict with "augmented" (H, W, C) and "figure".
    """
    augmented = augment_one(image, **settings)
    fig = fig or Figure(figsize=(8, 3.2))
    fig.clear()
    for ax, shown, title in zip(fig.subplots(1, 2), (np.asarray(image), augmented), (name, "augmented")):
        ax.imshow(shown[..., 0] if shown.shape[-1] == 1 else np.clip(shown, 0, 1), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title)
        ax.axis("off")
    return {"augmented": augmented, "figure": fig}


def augmentation_explorer(images, **settings):
    """Explorer: pick an image and move the augmentation sliders (lecture 08).

    Args:
        images: dict name -> (H, W, C) image in [0, 1].
        settings: initial values of the controls (see augment_one), e.g. angle=15.0.
    Returns:
        Explorer with controls "image", "flip", "angle", "shift_y", "shift_x", "fill_mode", "brightness",
        "contrast", "noise_std", "cutout_size", "seed".
    """
    names = list(images)
    sides = {name: max(np.shape(image)[:2]) for name, image in images.items()}
    first = settings.get("image", names[0])
    slider = {"continuous_update": False, "style": {"description_width": "initial"}}
    defaults = {"flip": False, "angle": 0.0, "shift_y": 0, "shift_x": 0, "fill_mode": "reflect", "brightness": 1.0,
                "contrast": 1.0, "noise_std": 0.0, "cutout_size": 0, "seed": 0}
    unknown = set(settings) - set(defaults) - {"image"}
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; choose from {sorted(defaults)}")
    values = {**defaults, **settings}
    side = sides[first]
    controls = {
        "image": ipywidgets.Dropdown(options=names, value=first, description="image"),
        "flip": ipywidgets.Checkbox(value=values["flip"], description="horizontal flip"),
        "angle": ipywidgets.FloatSlider(value=values["angle"], min=-45, max=45, step=1, description="angle", **slider),
        "shift_y": ipywidgets.IntSlider(value=values["shift_y"], min=-side // 3, max=side // 3, description="shift y", **slider),
        "shift_x": ipywidgets.IntSlider(value=values["shift_x"], min=-side // 3, max=side // 3, description="shift x", **slider),
        "fill_mode": ipywidgets.Dropdown(options=AUGMENT_FILL_MODES, value=values["fill_mode"], description="fill mode"),
        "brightness": ipywidgets.FloatSlider(value=values["brightness"], min=0.3, max=1.7, step=0.05, description="brightness", **slider),
        "contrast": ipywidgets.FloatSlider(value=values["contrast"], min=0.3, max=1.7, step=0.05, description="contrast", **slider),
        "noise_std": ipywidgets.FloatSlider(value=values["noise_std"], min=0.0, max=0.3, step=0.01, description="noise std", **slider),
        "cutout_size": ipywidgets.IntSlider(value=values["cutout_size"], min=0, max=side // 2, description="cutout", **slider),
        "seed": ipywidgets.IntSlider(value=values["seed"], min=0, max=20, description="seed", **slider),
    }
    image_widget = ipywidgets.Image(format="png")
    state = {}
    fig = Figure(figsize=(8, 3.2))
    rescaling = [False]  # True while the sized controls follow a new image: one redraw, not one per control

    def update():
        if rescaling[0]:
            return
        chosen = {key: control.value for key, control in controls.items()}
        name = chosen.pop("image")
        state.update(draw_augmentation(images[name], name=name, fig=fig, **chosen))
        _show(image_widget, fig)

    def follow_image(change):
        """Keep shifts and cutout the same fraction of the image (a photo's 30-pixel cutout would hide a digit)."""
        old, new = sides[change["old"]], sides[change["new"]]
        rescaling[0] = True
        try:
            for key, low, high in (("shift_y", -new // 3, new // 3), ("shift_x", -new // 3, new // 3),
                                   ("cutout_size", 0, new // 2)):
                control = controls[key]
                value = int(np.clip(round(control.value * new / old), low, high))
                control.min, control.max = min(control.min, low), max(control.max, high)  # widen, set, then narrow
                control.value = value
                control.min, control.max = low, high
        finally:
            rescaling[0] = False
        update()

    controls["image"].observe(follow_image, names="value")
    _wire(controls, update)
    update()
    box = ipywidgets.VBox([
        ipywidgets.HBox([controls["image"], controls["flip"], controls["fill_mode"]]),
        ipywidgets.HBox([controls["angle"], controls["shift_y"], controls["shift_x"]]),
        ipywidgets.HBox([controls["brightness"], controls["contrast"], controls["noise_std"]]),
        ipywidgets.HBox([controls["cutout_size"], controls["seed"]]), image_widget])
    return Explorer(box, controls, update, state)
