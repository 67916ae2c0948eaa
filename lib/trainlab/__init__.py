"""trainlab: the shared library of the Training Neural Networks course.

Each module holds one concern (see DESIGN §3): layers, losses, gradcheck, init, optim,
models, solver, data, viz, torch_twins. It is also the reference implementation of
every exercise, so later lectures can build on earlier ones.
"""
__version__ = "0.1.0"
