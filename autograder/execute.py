"""Execute notebooks headless with nbclient, with one progress bar over all their cells."""
import os
import time
import uuid

import nbformat
from jupyter_client import KernelManager
from jupyter_core.paths import jupyter_runtime_dir
from nbclient import NotebookClient
from tqdm.auto import tqdm

from autograder.sandbox.protocol import DEFAULTS


def execute(paths, allow_errors=False, timeout=DEFAULTS.cell_timeout):
    """Run each notebook in its own folder; returns {path: (seconds, executed notebook)}."""
    notebooks = {p: nbformat.read(str(p), as_version=4) for p in paths}
    total = sum(sum(c.cell_type == "code" for c in nb.cells) for nb in notebooks.values())
    results = {}
    with tqdm(total=total, desc="executing", unit="cell") as bar:
        for path, nb in notebooks.items():
            bar.set_postfix_str(path.name)
            km = local_kernel_manager()
            client = NotebookClient(nb, km=km,
                                    timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                                    resources={"metadata": {"path": str(path.parent)}},
                                    on_cell_executed=lambda **_: bar.update())
            start = time.perf_counter()
            try:
                client.execute()
            finally:
                km.cleanup_resources()  # the connection file and the IPC sockets
            results[path] = (time.perf_counter() - start, nb)
    return results


def local_kernel_manager():
    """A python3 kernel manager on IPC transport: the kernel is local, so no TCP ports (nor a warning about them).

    Its sockets sit beside an absolute connection file in Jupyter's runtime folder (a relative
    default would put them in whatever folder each side runs in).
    """
    runtime = jupyter_runtime_dir()
    os.makedirs(runtime, exist_ok=True)
    return KernelManager(kernel_name="python3", transport="ipc",
                         connection_file=os.path.join(runtime, f"kernel-{uuid.uuid4()}.json"))


def errors(nb):
    """[(cell index, ename, evalue)] of every error output of an executed notebook."""
    return [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]
