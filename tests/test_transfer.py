"""Does trainlab.transfer load the shipped nets, retrain them reproducibly, and compute what its docstrings say?"""
import numpy as np
import pytest

from trainlab import gradcheck, layers, losses, transfer
from trainlab.models import FullyConnectedNet


def test_shipped_mlp_matches_its_record():
    """Does the shipped numpy MLP load, have the recorded weights, and reach the recorded accuracy on 0-4?"""
    model = transfer.load_pretrained_mlp()
    assert [model.params[f"W{i}"].shape[1] for i in range(1, model.num_layers)] == list(transfer.MLP_HIDDEN)
    assert transfer.weights_sha256(model.params) == transfer.SHIPPED["mlp"]["weights_sha256"]
    _, _, X_test, y_test = transfer.digit_task(transfer.SOURCE_CLASSES, 1)
    acc = np.mean(model.predict(transfer.mlp_input(X_test)) == y_test)
    assert acc == pytest.approx(transfer.SHIPPED["mlp"]["val_acc"], abs=1e-9)
    assert (transfer.SHIPPED_DIR / transfer.MLP_FILE).stat().st_size < 500_000


def test_shipped_cnn_matches_its_record():
    """Does the shipped torch CNN load into make_cnn(), with the recorded weights and accuracy?"""
    torch = pytest.importorskip("torch")
    model = transfer.load_pretrained_cnn()
    assert transfer.weights_sha256(model.state_dict()) == transfer.SHIPPED["cnn"]["weights_sha256"]
    _, _, X_test, y_test = transfer.digit_task(transfer.SOURCE_CLASSES, 1)
    assert transfer.cnn_accuracy(model, X_test, y_test, torch) == pytest.approx(transfer.SHIPPED["cnn"]["val_acc"], abs=1e-9)
    assert (transfer.SHIPPED_DIR / transfer.CNN_FILE).stat().st_size < 500_000


def test_short_pretraining_run_reproduces_the_recorded_figure():
    """Does a short seeded pretraining run (the retraining command's code path) give the recorded accuracy, twice?"""
    model, acc = transfer.pretrain_mlp(num_epochs=1, num_train_per_class=100)
    again, acc_again = transfer.pretrain_mlp(num_epochs=1, num_train_per_class=100)
    assert acc == acc_again and transfer.weights_sha256(model.params) == transfer.weights_sha256(again.params)
    assert acc == pytest.approx(transfer.QUICK_MLP_VAL_ACC, abs=0.005)


@pytest.mark.slow
def test_retraining_command_reproduces_the_shipped_weights(capsys):
    """Does `python -m trainlab.transfer pretrain --check` retrain both nets to the shipped accuracy (about 10 s)?"""
    status = transfer.main(["pretrain", "--check"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "mlp: val acc" in out


def test_pretrain_writes_files_that_load(tmp_path, monkeypatch):
    """Does `pretrain --out DIR` write an npz (trainlab params) that loads back to the same weights?"""
    quick = transfer.pretrain_mlp
    monkeypatch.setattr(transfer, "pretrain_mlp", lambda: quick(num_epochs=1, num_train_per_class=20))
    monkeypatch.setattr(transfer, "pretrain_cnn", lambda: (_ for _ in ()).throw(ImportError("no torch here")))
    lines, _ = transfer.pretrain(tmp_path)
    loaded = transfer.load_pretrained_mlp(tmp_path / transfer.MLP_FILE)
    assert any("torch is not installed" in line for line in lines)
    assert transfer.weights_sha256(loaded.params) in lines[-1] and "wrote" in lines[-1]


def test_params_round_trip(tmp_path):
    """Do save_params / load_params keep every array, and mlp_from_params rebuild the sizes?"""
    net = FullyConnectedNet([3, 2], 5, num_classes=4, seed=1)
    transfer.save_params(tmp_path / "p.npz", net.params)
    back = transfer.mlp_from_params(transfer.load_params(tmp_path / "p.npz"))
    assert back.num_layers == 3 and all(np.array_equal(back.params[k], net.params[k]) for k in net.params)
    assert transfer.file_sha256(tmp_path / "p.npz") == transfer.file_sha256(tmp_path / "p.npz")


def test_digit_task_keeps_test_fixed_and_disjoint():
    """Is the digit test set the same for every training size, and never in the training set?"""
    X_a, y_a, T_a, _ = transfer.digit_task(transfer.TARGET_CLASSES, 10, seed=1)
    X_b, _, T_b, yt = transfer.digit_task(transfer.TARGET_CLASSES, 300, seed=2)
    assert np.array_equal(T_a, T_b) and np.bincount(yt).tolist() == [100] * 5
    assert X_a.shape == (50, 28, 28) and np.bincount(y_a).tolist() == [10] * 5
    train_rows = {x.tobytes() for x in X_b}
    assert not any(t.tobytes() in train_rows for t in T_b)


def test_texture_task_halves_do_not_share_pixels():
    """Do the texture patches of train and test lie in disjoint halves, stretched to 0..255?"""
    X_tr, y_tr, X_te, y_te = transfer.texture_task(20, num_test_per_class=10, seed=0)
    assert X_tr.shape == (100, 28, 28) and X_te.shape == (50, 28, 28)
    assert np.allclose(X_tr.max(axis=(1, 2)), 255) and np.allclose(X_tr.min(axis=(1, 2)), 0)
    assert np.bincount(y_tr).tolist() == [20] * 5 and np.bincount(y_te).tolist() == [10] * 5
    for _, (r0, r1), (c0, c1), axis in transfer.TEXTURES.values():
        lo, hi = ((r0, r1), (c0, c1))[axis]
        assert (hi - lo) // 2 >= 28, "each half must hold a whole patch"


def test_extract_features_matches_the_nets_hidden_layers():
    """Does extract_features give the net's own hidden activations at every depth?"""
    net = FullyConnectedNet([4, 3], 6, num_classes=2, activation="tanh", seed=0)
    X = np.random.default_rng(0).standard_normal((5, 2, 3))
    acts = net.hidden_activations(X)
    assert np.array_equal(transfer.extract_features(net.params, X, 0), X.reshape(5, 6))
    for depth in (1, 2):
        got = transfer.extract_features(net.params, X, depth, activation="tanh")
        assert gradcheck.rel_error(got, acts[depth - 1]) < 1e-14


def test_train_linear_head_fits_separable_features():
    """Does the linear head learn linearly separable features?"""
    rng = np.random.default_rng(1)
    features = rng.standard_normal((80, 3))
    y = (features[:, 0] + features[:, 1] > 0).astype(int)
    head = transfer.train_linear_head(features, y, 2, reg=0.0, lr=0.1, num_epochs=30, batch_size=10)
    assert head.num_layers == 1 and np.mean(head.predict(features) == y) > 0.95


def test_fine_tune_freezes_and_scales():
    """Do frozen layers stay bit-identical, and does a factor scale the first step of its layer?"""
    rng = np.random.default_rng(2)
    data = {"X_train": rng.standard_normal((30, 5)), "y_train": rng.integers(0, 3, 30)}
    base = FullyConnectedNet([4], 5, num_classes=3, seed=0)
    frozen = FullyConnectedNet([4], 5, num_classes=3, seed=0)
    transfer.fine_tune(frozen, data, 0.1, unfreeze_at=[3, 0], num_epochs=3, batch_size=10)
    assert np.array_equal(frozen.params["W1"], base.params["W1"]) and np.array_equal(frozen.params["b1"], base.params["b1"])
    steps = []
    for factor in (1.0, 0.25):
        model = FullyConnectedNet([4], 5, num_classes=3, seed=0)
        transfer.fine_tune(model, data, 0.1, layer_lrs=[factor, 1.0], num_epochs=1, batch_size=30)
        steps.append(model.params["W1"] - base.params["W1"])
    assert np.allclose(steps[1], 0.25 * steps[0])


def test_multitask_loss_gradients_and_masks():
    """Does multitask_loss mask -1 labels, weight the auxiliary loss, and give the numerical gradient?"""
    rng = np.random.default_rng(3)
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4),
              "W_main": rng.standard_normal((4, 2)), "b_main": rng.standard_normal(2),
              "W_aux": rng.standard_normal((4, 3)), "b_aux": rng.standard_normal(3)}
    X = rng.standard_normal((5, 3))
    y_main, y_aux = np.array([1, 0, -1, -1, 1]), np.array([-1, 2, 0, 1, -1])
    loss, grads = transfer.multitask_loss(params, X, y_main, y_aux, aux_weight=0.7, activation="tanh")
    h = np.tanh(X @ params["W1"] + params["b1"])
    main = losses.softmax_loss((h @ params["W_main"] + params["b_main"])[y_main >= 0], y_main[y_main >= 0])[0]
    aux = losses.softmax_loss((h @ params["W_aux"] + params["b_aux"])[y_aux >= 0], y_aux[y_aux >= 0])[0]
    assert loss == pytest.approx(main + 0.7 * aux, rel=1e-12)
    for name in params:
        f = lambda p: transfer.multitask_loss({**params, name: p}, X, y_main, y_aux, 0.7, "tanh")[0]
        assert gradcheck.rel_error(grads[name], gradcheck.eval_numerical_gradient(f, params[name].copy())) < 1e-6
    none, grads_none = transfer.multitask_loss(params, X, np.full(5, -1), y_aux, 0.7, "tanh")
    assert none == pytest.approx(0.7 * aux) and not grads_none["W_main"].any()


def test_multitask_loss_matches_torch():
    """Does multitask_loss agree with torch autograd on the same computation?"""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4), "W_main": rng.standard_normal((4, 2)),
              "b_main": rng.standard_normal(2), "W_aux": rng.standard_normal((4, 3)), "b_aux": rng.standard_normal(3)}
    X = rng.standard_normal((6, 3))
    y_main, y_aux = np.array([1, 0, -1, -1, 1, 0]), np.array([-1, 2, 0, 1, -1, 2])
    loss, grads = transfer.multitask_loss(params, X, y_main, y_aux, aux_weight=2.0)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.relu(torch.tensor(X) @ t["W1"] + t["b1"])
    ce = torch.nn.functional.cross_entropy
    m, a = y_main >= 0, y_aux >= 0
    total = ce((h @ t["W_main"] + t["b_main"])[m], torch.tensor(y_main[m])) + \
        2.0 * ce((h @ t["W_aux"] + t["b_aux"])[a], torch.tensor(y_aux[a]))
    total.backward()
    assert loss == pytest.approx(total.item(), rel=1e-12)
    for name in params:
        assert gradcheck.rel_error(grads[name], t[name].grad.numpy()) < 1e-10


def test_soft_sharing_penalty_values():
    """Is the penalty 1/2 reg sum ||a - b||^2 over the tied names, with opposite gradients?"""
    a = {"W1": np.array([1.0, 2.0]), "W2": np.ones(3), "head": np.ones(2)}
    b = {"W1": np.array([0.0, 4.0]), "W2": np.ones(3), "other": np.zeros(1)}
    loss, ga, gb = transfer.soft_sharing_penalty(a, b, 0.5)
    assert loss == pytest.approx(0.25 * 5) and set(ga) == {"W1", "W2"}
    assert np.allclose(ga["W1"], [0.5, -1.0]) and np.allclose(gb["W1"], [-0.5, 1.0])
    assert transfer.soft_sharing_penalty(a, b, 0.5, names=["W2"])[0] == 0.0


def test_multitask_models_train_through_the_solver():
    """Do MultiTaskNet and SoftSharedNets train with the Solver and lower their loss; do their gradients check?"""
    from trainlab.solver import Solver

    rng = np.random.default_rng(5)
    X_m, y_m = rng.standard_normal((20, 4)), rng.integers(0, 2, 20)
    X_a, y_a = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)
    X, y = transfer.multitask_data(X_m, y_m, X_a, y_a)
    assert y.shape == (50, 2) and (y[:20, 1] == -1).all() and (y[20:, 0] == -1).all()
    for model in (transfer.MultiTaskNet([6], 4, 2, 3, aux_weight=0.5, seed=0),
                  transfer.SoftSharedNets([6], 4, 2, 3, reg=0.3, seed=0)):
        loss, grads = model.loss(X, y)
        for name in list(model.params)[:3]:  # eval_numerical_gradient perturbs the parameter in place
            num = gradcheck.eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name])
            assert gradcheck.rel_error(grads[name], num) < 1e-6, name
        history = Solver(model, {"X_train": X, "y_train": y}, update_rule="sgd_momentum", optim_config={"lr": 0.05},
                         num_epochs=20, batch_size=10, sampling="epoch", evaluate=False, progress=False).train()
        assert history["loss"][-1] < history["loss"][0]
        assert model.predict(X_m).shape == (20,)


def test_cnn_fine_tuning_with_parameter_groups():
    """Does train_cnn respect requires_grad=False and per-group rates (a zero-rate group stays put)?"""
    torch = pytest.importorskip("torch")
    X, y, _, _ = transfer.digit_task(transfer.TARGET_CLASSES, 4, seed=0)
    model = transfer.load_pretrained_cnn()
    model[9] = torch.nn.Linear(64, 5)
    conv1 = model[0].weight.detach().clone()
    fc = model[7].weight.detach().clone()
    for p in model[3].parameters():
        p.requires_grad_(False)
    conv2 = model[3].weight.detach().clone()
    groups = [{"params": model[0].parameters(), "lr": 0.0}, {"params": model[7].parameters(), "lr": 0.01},
              {"params": model[9].parameters(), "lr": 0.01}]
    losses_ = transfer.train_cnn(model, X, y, groups, num_epochs=2, batch_size=10)
    assert len(losses_) == 4
    assert torch.equal(model[0].weight, conv1) and torch.equal(model[3].weight, conv2)
    assert not torch.equal(model[7].weight, fc)


def test_layers_module_unchanged_by_features():
    """Does extract_features leave the params and inputs as they were?"""
    net = FullyConnectedNet([3], 4, num_classes=2, seed=0)
    saved = {k: v.copy() for k, v in net.params.items()}
    X = np.arange(8.0).reshape(2, 4)
    transfer.extract_features(net.params, X, 1)
    assert all(np.array_equal(saved[k], net.params[k]) for k in saved) and np.array_equal(X, np.arange(8.0).reshape(2, 4))
    assert layers.ACTIVATIONS  # the activations the docstrings name
