"""Are the library's layers and losses right: numerical gradients (float64) and torch as an oracle?"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trainlab import gradcheck, layers, losses

RNG = np.random.default_rng(0)
ELEMENTWISE = {
    "relu": (layers.relu_forward, layers.relu_backward, F.relu),
    "leaky_relu": (lambda x: layers.leaky_relu_forward(x, 0.1), layers.leaky_relu_backward,
                   lambda t: F.leaky_relu(t, 0.1)),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, torch.sigmoid),
    "tanh": (layers.tanh_forward, layers.tanh_backward, torch.tanh),
    "elu": (lambda x: layers.elu_forward(x, 0.7), layers.elu_backward, lambda t: F.elu(t, 0.7)),
}


def away_from_kinks(shape):
    """Inputs at least 0.05 away from 0, so centered differences never straddle a kink."""
    x = RNG.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.1 * np.sign(x) + 0.05, x)


def torch_grads(fn, arrays, dout):
    """Output and gradients of fn(*tensors) · dout by torch autograd, as numpy."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_backward_matches_numerical_gradient(name):
    """Does each activation's backward agree with centered differences (rel. error < 1e-7)?"""
    forward, backward, _ = ELEMENTWISE[name]
    x = away_from_kinks((4, 5))
    dout = RNG.standard_normal((4, 5))
    _, cache = forward(x)
    dx = backward(dout, cache)
    dx_num = gradcheck.eval_numerical_gradient_array(lambda v: forward(v)[0], x, dout)
    assert gradcheck.rel_error(dx, dx_num) < 1e-7


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_matches_torch(name):
    """Do forward and backward agree with torch's function and autograd, on 4-D input?"""
    forward, backward, torch_fn = ELEMENTWISE[name]
    x = away_from_kinks((2, 3, 4, 5))
    dout = RNG.standard_normal(x.shape)
    out, cache = forward(x)
    out_t, (dx_t,) = torch_grads(torch_fn, [x], dout)
    assert gradcheck.rel_error(out, out_t) < 1e-10
    assert gradcheck.rel_error(backward(dout, cache), dx_t) < 1e-10


def test_sigmoid_is_stable_for_large_inputs():
    """Does the sigmoid give exact 0 and 1 (no nan, no overflow warning) at ±1000?"""
    with np.errstate(over="raise", invalid="raise"):
        out, _ = layers.sigmoid_forward(np.array([-1000.0, 0.0, 1000.0]))
    assert np.array_equal(out, [0.0, 0.5, 1.0])


def test_affine_backward_matches_numerical_gradient_and_torch():
    """Are dx, dw, db right for a 4-D input (numerically and by autograd)?"""
    x, w, b = RNG.standard_normal((3, 2, 2, 2)), RNG.standard_normal((8, 4)), RNG.standard_normal(4)
    dout = RNG.standard_normal((3, 4))
    out, cache = layers.affine_forward(x, w, b)
    dx, dw, db = layers.affine_backward(dout, cache)
    fwd = lambda x_, w_, b_: layers.affine_forward(x_, w_, b_)[0]
    assert gradcheck.rel_error(dx, gradcheck.eval_numerical_gradient_array(lambda v: fwd(v, w, b), x, dout)) < 1e-7
    assert gradcheck.rel_error(dw, gradcheck.eval_numerical_gradient_array(lambda v: fwd(x, v, b), w, dout)) < 1e-7
    assert gradcheck.rel_error(db, gradcheck.eval_numerical_gradient_array(lambda v: fwd(x, w, v), b, dout)) < 1e-7
    out_t, grads_t = torch_grads(lambda xt, wt, bt: xt.reshape(3, -1) @ wt + bt, [x, w, b], dout)
    assert gradcheck.rel_error(out, out_t) < 1e-12
    for mine, theirs in zip((dx, dw, db), grads_t):
        assert gradcheck.rel_error(mine, theirs) < 1e-10


def test_maxout_matches_numerical_gradient_and_torch():
    """Does maxout send gradients only to the winning piece (numerically and by autograd)?"""
    x, w, b = RNG.standard_normal((5, 3)), RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4))
    dout = RNG.standard_normal((5, 4))
    out, cache = layers.maxout_forward(x, w, b)
    grads = layers.maxout_backward(dout, cache)
    for i, arr in enumerate((x, w, b)):
        def f(v, i=i):
            args = [x, w, b]
            args[i] = v
            return layers.maxout_forward(*args)[0]
        assert gradcheck.rel_error(grads[i], gradcheck.eval_numerical_gradient_array(f, arr, dout)) < 1e-7
    torch_fn = lambda xt, wt, bt: (torch.einsum("nd,kdm->knm", xt, wt) + bt[:, None, :]).max(dim=0).values
    out_t, grads_t = torch_grads(torch_fn, [x, w, b], dout)
    assert gradcheck.rel_error(out, out_t) < 1e-12
    for mine, theirs in zip(grads, grads_t):
        assert gradcheck.rel_error(mine, theirs) < 1e-10


PRELU_SLOPES = {"per feature (D,)": np.array([0.25, -0.5, 0.0, 1.5, 0.1]), "shared ()": np.array(0.3)}


@pytest.mark.parametrize("sharing", PRELU_SLOPES)
def test_prelu_backward_matches_numerical_gradient(sharing):
    """Are PReLU's dx and da (summed over what shares a slope, shaped like a) right by centered differences?"""
    a = PRELU_SLOPES[sharing]
    x = away_from_kinks((4, 5))
    dout = RNG.standard_normal((4, 5))
    out, cache = layers.prelu_forward(x, a)
    assert np.array_equal(out, np.maximum(x, 0) + a * np.minimum(x, 0))
    dx, da = layers.prelu_backward(dout, cache)
    assert np.shape(da) == a.shape
    dx_num = gradcheck.eval_numerical_gradient_array(lambda v: layers.prelu_forward(v, a)[0], x, dout)
    da_num = gradcheck.eval_numerical_gradient_array(lambda v: layers.prelu_forward(x, v)[0], a.copy(), dout)
    assert gradcheck.rel_error(dx, dx_num) < 1e-7
    assert gradcheck.rel_error(da, da_num) < 1e-7


@pytest.mark.parametrize("sharing", PRELU_SLOPES)
def test_prelu_matches_torch(sharing):
    """Do out, dx and da equal torch's F.prelu and its autograd, exact zeros (the kink) included?"""
    a = PRELU_SLOPES[sharing]
    x = RNG.standard_normal((6, 5))
    x[::2, ::2] = 0.0  # at x = 0 both take the left piece's slope a for dx
    dout = RNG.standard_normal(x.shape)
    out, cache = layers.prelu_forward(x, a)
    dx, da = layers.prelu_backward(dout, cache)
    # torch wants a 1-D weight: one per channel (dim 1 of an (N, D) input) or a single one
    out_t, (dx_t, da_t) = torch_grads(lambda xt, at: F.prelu(xt, at), [x, a.reshape(-1)], dout)
    assert gradcheck.rel_error(out, out_t) < 1e-12
    assert gradcheck.rel_error(dx, dx_t) < 1e-12
    assert gradcheck.rel_error(da, da_t.reshape(a.shape)) < 1e-10


def test_softmax_loss_matches_torch_and_numerical_gradient():
    """Do loss and dscores equal torch cross_entropy and its autograd, and centered differences?"""
    scores, y = RNG.standard_normal((7, 5)), RNG.integers(0, 5, 7)
    loss, dscores = losses.softmax_loss(scores, y)
    st = torch.tensor(scores, requires_grad=True)
    lt = F.cross_entropy(st, torch.tensor(y))
    lt.backward()
    assert abs(loss - lt.item()) < 1e-12
    assert gradcheck.rel_error(dscores, st.grad.numpy()) < 1e-10
    num = gradcheck.eval_numerical_gradient(lambda s: losses.softmax_loss(s, y)[0], scores)
    assert gradcheck.rel_error(dscores, num) < 1e-7


def test_softmax_loss_is_stable_and_starts_at_ln_c():
    """Is the loss finite for scores near 1000, and ln(C) for all-equal scores?"""
    loss, dscores = losses.softmax_loss(np.array([[1000.0, 0.0, -1000.0]]), np.array([0]))
    assert loss == 0.0 and np.all(np.isfinite(dscores))
    assert np.isclose(losses.softmax_loss(np.zeros((4, 10)), np.arange(4))[0], np.log(10))


def test_svm_loss_matches_torch_multi_margin_and_numerical_gradient():
    """Does the hinge loss equal C times torch multi_margin_loss, with the same gradient?"""
    scores, y = RNG.standard_normal((6, 4)), RNG.integers(0, 4, 6)
    loss, dscores = losses.svm_loss(scores, y)
    st = torch.tensor(scores, requires_grad=True)
    # torch divides the per-sample sum by C; ours sums over classes
    lt = F.multi_margin_loss(st, torch.tensor(y), margin=1.0) * scores.shape[1]
    lt.backward()
    assert abs(loss - lt.item()) < 1e-12
    assert gradcheck.rel_error(dscores, st.grad.numpy()) < 1e-10
    num = gradcheck.eval_numerical_gradient(lambda s: losses.svm_loss(s, y)[0], scores)
    assert gradcheck.rel_error(dscores, num) < 1e-7


def test_rel_error_is_relative_symmetric_and_safe_at_zero():
    """Is rel_error relative, symmetric, the max over entries, and 0 for two zero arrays?"""
    assert gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert np.isclose(gradcheck.rel_error([1.0, 100.0], [1.0, 100.1]), 0.1 / 200.1)
    assert gradcheck.rel_error(1.0, 2.0) == gradcheck.rel_error(2.0, 1.0)


def test_eval_numerical_gradient_restores_input_and_handles_any_shape():
    """Does the numerical gradient match 2x for sum(x²) on a 3-D array, leaving x unchanged?"""
    x = RNG.standard_normal((2, 3, 2))
    before = x.copy()
    grad = gradcheck.eval_numerical_gradient(lambda v: np.sum(v**2), x)
    assert np.array_equal(x, before)
    assert gradcheck.rel_error(grad, 2 * before) < 1e-8


def test_parameter_only_backward_gives_exactly_the_full_backwards_grads():
    """Without dx (a first layer's input gradient, never used), are dw and db bit for bit those of the full backward?"""
    x, w, b = RNG.standard_normal((7, 2, 3)), RNG.standard_normal((6, 4)), RNG.standard_normal(4)
    dout = RNG.standard_normal((7, 4))
    _, cache = layers.affine_forward(x, w, b)
    _, dw, db = layers.affine_backward(dout, cache)
    dw2, db2 = layers.affine_param_backward(dout, cache)
    assert np.array_equal(dw, dw2) and np.array_equal(db, db2)
    _, cache = layers.affine_activation_forward(x, w, b, "tanh")
    full, part = layers.affine_activation_backward(dout, cache), layers.affine_activation_backward(dout, cache, False)
    assert part[0] is None and all(np.array_equal(f, p) for f, p in zip(full[1:], part[1:]))
    bn = {"mode": "train"}
    _, cache = layers.affine_norm_activation_forward(x, w, b, np.ones(4), np.zeros(4), bn)
    full = layers.affine_norm_activation_backward(dout, cache)
    part = layers.affine_norm_activation_backward(dout, cache, need_dx=False)
    assert part[0] is None and all(np.array_equal(f, p) for f, p in zip(full[1:], part[1:]))
