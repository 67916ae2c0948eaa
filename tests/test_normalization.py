"""Are batch, layer, spatial batch and group normalization right: numerical gradients and torch as an oracle, train and test mode?"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trainlab import data, gradcheck, layers
from trainlab.models import FullyConnectedNet
from trainlab.solver import Solver

RNG = np.random.default_rng(0)
MOMENTUM = 0.8  # ours: weight of the old running value; torch's momentum is 1 - it


def _bn_inputs(shape, channels):
    x = 3 * RNG.standard_normal(shape) + 2
    gamma, beta = RNG.uniform(0.5, 1.5, channels), RNG.standard_normal(channels)
    return x, gamma, beta, RNG.standard_normal(shape)


def _bn_param(mode, channels, warm=True):
    param = {"mode": mode, "momentum": MOMENTUM, "eps": 1e-5}
    if warm:
        param["running_mean"] = RNG.standard_normal(channels)
        param["running_var"] = RNG.uniform(0.5, 2.0, channels)
    return param


def _torch_bn(x, gamma, beta, dout, param):
    """torch's batch_norm output, input/gamma/beta gradients and running statistics after the call."""
    channels = gamma.shape[0]
    rm = torch.tensor(param.get("running_mean", np.zeros(channels))).clone()
    rv = torch.tensor(param.get("running_var", np.ones(channels))).clone()
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    out = F.batch_norm(xt, rm, rv, gt, bt, training=param["mode"] == "train",
                       momentum=1 - param["momentum"], eps=param["eps"])
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in (xt, gt, bt)], rm.numpy(), rv.numpy()


@pytest.mark.parametrize("backward", [layers.batchnorm_backward, layers.batchnorm_backward_alt])
@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_matches_torch(mode, backward):
    """Do forward, both backward passes and the running statistics agree with torch's batch_norm?"""
    x, gamma, beta, dout = _bn_inputs((6, 4), 4)
    param = _bn_param(mode, 4)
    out_t, grads_t, rm_t, rv_t = _torch_bn(x, gamma, beta, dout, param)
    out, cache = layers.batchnorm_forward(x, gamma, beta, param)
    assert gradcheck.rel_error(out, out_t) < 1e-10
    assert gradcheck.rel_error(param["running_mean"], rm_t) < 1e-10
    assert gradcheck.rel_error(param["running_var"], rv_t) < 1e-10  # unbiased variance, as torch
    for got, want in zip(backward(dout, cache), grads_t):
        assert gradcheck.rel_error(got, want) < 1e-9


def test_batchnorm_running_statistics_start_at_zero_and_one():
    """Without running averages in bn_param, does train mode start from mean 0 and var 1 (torch's defaults)?"""
    x, gamma, beta, dout = _bn_inputs((5, 3), 3)
    param = _bn_param("train", 3, warm=False)
    _, _, rm_t, rv_t = _torch_bn(x, gamma, beta, dout, param)
    layers.batchnorm_forward(x, gamma, beta, param)
    assert np.allclose(param["running_mean"], rm_t) and np.allclose(param["running_var"], rv_t)


def test_batchnorm_train_statistics_and_test_mode_leaves_param_alone():
    """Train output has per-feature mean beta, std gamma; test mode changes nothing in bn_param; N = 1 refused in train."""
    x, gamma, beta, _ = _bn_inputs((50, 3), 3)
    out, _ = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    assert np.allclose(out.mean(axis=0), beta) and np.allclose(out.std(axis=0), gamma, rtol=1e-4)
    param = _bn_param("test", 3)
    before = {k: np.copy(v) for k, v in param.items()}
    layers.batchnorm_forward(x, gamma, beta, param)
    assert all(np.array_equal(param[k], before[k]) for k in before)
    with pytest.raises(ValueError, match="more than one"):
        layers.batchnorm_forward(x[:1], gamma, beta, {"mode": "train"})
    with pytest.raises(ValueError, match="mode"):
        layers.batchnorm_forward(x, gamma, beta, {"mode": "eval"})


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_backward_numerical(mode):
    """Do both batchnorm backward passes match centered differences (rel. error < 1e-7)?"""
    x, gamma, beta, dout = _bn_inputs((5, 4), 4)
    param = _bn_param(mode, 4)
    fwd = lambda x_, g_, b_: layers.batchnorm_forward(x_, g_, b_, dict(param))[0]
    _, cache = layers.batchnorm_forward(x, gamma, beta, dict(param))
    num = [gradcheck.eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout),
           gradcheck.eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout),
           gradcheck.eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout)]
    for backward in (layers.batchnorm_backward, layers.batchnorm_backward_alt):
        for got, want in zip(backward(dout, cache), num):
            assert gradcheck.rel_error(got, want) < 1e-7


def test_layernorm_matches_torch_and_numerical_gradient():
    """Do layernorm forward/backward agree with torch's layer_norm and with centered differences?"""
    x, gamma, beta, dout = _bn_inputs((4, 6), 6)
    out, cache = layers.layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    out_t = F.layer_norm(xt, (6,), gt, bt, eps=1e-5)
    out_t.backward(torch.tensor(dout))
    assert gradcheck.rel_error(out, out_t.detach().numpy()) < 1e-10
    grads = layers.layernorm_backward(dout, cache)
    for got, t in zip(grads, (xt, gt, bt)):
        assert gradcheck.rel_error(got, t.grad.numpy()) < 1e-9
    dx_num = gradcheck.eval_numerical_gradient_array(lambda v: layers.layernorm_forward(v, gamma, beta)[0], x, dout)
    assert gradcheck.rel_error(grads[0], dx_num) < 1e-7


def test_layernorm_is_independent_of_the_batch():
    """Is each sample's layer-norm output the same alone as in a batch (no batch statistics)?"""
    x, gamma, beta, _ = _bn_inputs((5, 7), 7)
    out, _ = layers.layernorm_forward(x, gamma, beta)
    assert np.allclose(layers.layernorm_forward(x[2:3], gamma, beta)[0], out[2:3])


@pytest.mark.parametrize("mode", ["train", "test"])
def test_spatial_batchnorm_matches_torch(mode):
    """Does spatial batchnorm on (N, C, H, W) agree with torch's batch_norm: output, grads, running statistics?"""
    x, gamma, beta, dout = _bn_inputs((3, 4, 2, 5), 4)
    param = _bn_param(mode, 4)
    out_t, grads_t, rm_t, rv_t = _torch_bn(x, gamma, beta, dout, param)
    out, cache = layers.spatial_batchnorm_forward(x, gamma, beta, param)
    assert out.shape == x.shape and gradcheck.rel_error(out, out_t) < 1e-10
    assert gradcheck.rel_error(param["running_mean"], rm_t) < 1e-10
    assert gradcheck.rel_error(param["running_var"], rv_t) < 1e-10
    for got, want in zip(layers.spatial_batchnorm_backward(dout, cache), grads_t):
        assert got.shape == want.shape and gradcheck.rel_error(got, want) < 1e-9


@pytest.mark.parametrize("G", [1, 2, 6])
def test_groupnorm_matches_torch_and_numerical_gradient(G):
    """Does groupnorm agree with torch's group_norm (G = 1: layer norm, G = C: instance norm) and centered differences?"""
    x, gamma, beta, dout = _bn_inputs((2, 6, 3, 2), 6)
    out, cache = layers.groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    out_t = F.group_norm(xt, G, gt, bt, eps=1e-5)
    out_t.backward(torch.tensor(dout))
    assert gradcheck.rel_error(out, out_t.detach().numpy()) < 1e-10
    grads = layers.groupnorm_backward(dout, cache)
    for got, t in zip(grads, (xt, gt, bt)):
        assert got.shape == tuple(t.shape) and gradcheck.rel_error(got, t.grad.numpy()) < 1e-9
    dx_num = gradcheck.eval_numerical_gradient_array(
        lambda v: layers.groupnorm_forward(v, gamma, beta, G)[0], x, dout)
    assert gradcheck.rel_error(grads[0], dx_num) < 1e-7
    with pytest.raises(ValueError, match="groups"):
        layers.groupnorm_forward(x, gamma, beta, 4)


def test_fold_batchnorm_equals_affine_then_test_mode_batchnorm():
    """Is x @ w' + b' exactly batchnorm_test(x @ w + b) after folding?"""
    x, w, b = RNG.standard_normal((7, 5)), RNG.standard_normal((5, 3)), RNG.standard_normal(3)
    gamma, beta = RNG.uniform(0.5, 2, 3), RNG.standard_normal(3)
    param = _bn_param("test", 3)
    param["eps"] = 0.3  # a large eps: forgetting it shows
    want, _ = layers.batchnorm_forward(x @ w + b, gamma, beta, param)
    w_f, b_f = layers.fold_batchnorm(w, b, gamma, beta, param)
    assert w_f.shape == w.shape and b_f.shape == b.shape
    assert gradcheck.rel_error(x @ w_f + b_f, want) < 1e-12


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_net_with_normalization_gradients(normalization):
    """Are the net's gradients right with batchnorm/layernorm, gamma and beta included (rel. error < 1e-6)?"""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 5)), rng.integers(0, 4, 6)
    model = FullyConnectedNet([7, 6], input_dim=5, num_classes=4, activation="tanh", init="xavier",
                              reg=0.1, seed=2, normalization=normalization)
    assert {"gamma1", "beta1", "gamma2", "beta2"} <= set(model.params) and "gamma3" not in model.params
    _, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        num = gradcheck.eval_numerical_gradient(lambda _: model.loss(X, y)[0], param)
        assert gradcheck.rel_error(grads[name], num) < 1e-6, name


def test_net_batchnorm_modes():
    """Does loss(X, y) update the running statistics, and do scores/loss(X) use them without changing them?"""
    rng = np.random.default_rng(0)
    X, y = 5 + 2 * rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    model = FullyConnectedNet([6], input_dim=4, num_classes=3, normalization="batchnorm")
    model.loss(X, y)
    running = model.bn_params[0]["running_mean"].copy()
    assert not np.allclose(running, 0)
    scores = model.loss(X)
    assert np.array_equal(model.bn_params[0]["running_mean"], running)
    assert np.allclose(scores, model.scores(X)) and model.bn_params[0]["mode"] == "test"
    assert np.allclose(model.scores(X[:1]), scores[:1])  # test mode: each sample on its own


def test_net_normalization_none_is_unchanged_and_unknown_rejected():
    """Is normalization=None the plain net (same params), and does an unknown name fail loudly?"""
    plain = FullyConnectedNet([5], input_dim=3, seed=4)
    none = FullyConnectedNet([5], input_dim=3, seed=4, normalization=None)
    assert set(plain.params) == set(none.params) and none.bn_params == []
    assert all(np.array_equal(plain.params[k], none.params[k]) for k in plain.params)
    with pytest.raises(ValueError, match="batchnorm"):
        FullyConnectedNet([5], input_dim=3, normalization="groupnorm")


def test_batchnorm_net_trains_on_digits():
    """Does a 4-layer batchnorm net train on the digits to > 85% validation accuracy in 5 epochs?"""
    X, y = data.load_digits()
    X = X.reshape(len(X), -1)
    split = {"X_train": X[:1400], "y_train": y[:1400], "X_val": X[1400:], "y_val": y[1400:]}
    model = FullyConnectedNet([50, 50, 50], input_dim=64, normalization="batchnorm", seed=0)
    solver = Solver(model, split, optim_config={"lr": 0.1}, num_epochs=5, batch_size=50, progress=False)
    solver.train()
    assert solver.best_val_acc > 0.85
