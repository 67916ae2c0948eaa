"""Do the explorers of lectures 05 and 06 build, draw their default view, and redraw when a control changes?

Controls are changed programmatically (``control.value = ...``), which fires the same
traitlets observers a slider drag fires in JupyterLab.
"""
import numpy as np
import pytest

from trainlab import optim, schedules, widgets

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image(explorer):
    return bytes(explorer.widget.children[-1].value)


def test_optimizer_explorer_draws_and_redraws_on_every_control():
    """Does the optimizer explorer draw a PNG at build time and a new path after each control change?"""
    explorer = widgets.optimizer_explorer()
    assert set(explorer.controls) == {"surface", "rule", "lr", "momentum", "num_steps"}
    assert _image(explorer).startswith(PNG_MAGIC)
    view = widgets.viz.SURFACE_VIEWS["ravine"]
    expected, _ = optim.optimize_path("sgd_momentum", optim.ravine, view["w0"], {"lr": 0.05, "momentum": 0.9}, 100)
    assert np.allclose(explorer.state["path"], expected)
    for name, value in [("rule", "adam"), ("lr", 0.2), ("momentum", 0.5), ("num_steps", 50), ("surface", "saddle")]:
        before_path, before_png = explorer.state["path"], _image(explorer)
        explorer.controls[name].value = value
        assert not np.array_equal(before_path, explorer.state["path"]) or before_path.shape != explorer.state["path"].shape, name
        assert _image(explorer) != before_png, f"changing {name} did not redraw"
    assert explorer.state["path"].shape == (51, 2)
    expected, _ = optim.optimize_path("adam", optim.saddle, (1.0, 1e-3), {"lr": 0.2, "beta1": 0.5}, 50)
    assert np.allclose(explorer.state["path"], expected)


def test_optimizer_explorer_survives_a_diverging_rate():
    """Does a too-large learning rate draw a diverging path instead of raising?"""
    explorer = widgets.optimizer_explorer(rule="sgd")
    explorer.controls["lr"].value = 10.0
    assert not np.all(np.isfinite(explorer.state["losses"])) or explorer.state["losses"][-1] > 1e3


@pytest.mark.parametrize("name", list(schedules.SCHEDULES))
def test_schedule_explorer_shows_each_schedule(name):
    """Does choosing each schedule redraw with that schedule's rates from t = 0?"""
    explorer = widgets.schedule_explorer(name="cosine_annealing" if name != "cosine_annealing" else "step_decay")
    before = _image(explorer)
    explorer.controls["name"].value = name
    rates = explorer.state["rates"]
    assert _image(explorer) != before and explorer.state["call"].startswith(name)
    assert rates.shape == (explorer.controls["num_steps"].value,)
    assert np.all(rates > 0) or name in ("linear_decay", "cosine_annealing", "one_cycle")


def test_schedule_explorer_controls_change_the_rates():
    """Do lr0, period, decay, steps, T_mult and the log-scale box each redraw?"""
    explorer = widgets.schedule_explorer(name="cosine_with_restarts")
    assert np.isclose(explorer.state["rates"][80], 0.1)  # restarts every T0 = 40 steps
    explorer.controls["t_mult"].value = 2  # cycles of 40, 80, 160: restarts at 40 and 120
    assert np.isclose(explorer.state["rates"][120], 0.1) and explorer.state["rates"][80] < 0.1
    explorer.controls["name"].value = "step_decay"
    explorer.controls["period"].value = 25
    explorer.controls["decay"].value = 0.2
    assert np.isclose(explorer.state["rates"][24], 0.1) and np.isclose(explorer.state["rates"][25], 0.02)
    explorer.controls["lr0"].value = 0.01
    assert np.isclose(explorer.state["rates"][0], 0.01)
    explorer.controls["num_steps"].value = 500
    assert explorer.state["rates"].shape == (500,)
    before = _image(explorer)
    explorer.controls["log_scale"].value = True
    assert _image(explorer) != before
