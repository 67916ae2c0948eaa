"""Execute notebooks headless with nbclient, with one progress bar over all their cells."""
import time

import nbformat
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
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                                    resources={"metadata": {"path": str(path.parent)}},
                                    on_cell_executed=lambda **_: bar.update())
            start = time.perf_counter()
            client.execute()
            results[path] = (time.perf_counter() - start, nb)
    return results


def errors(nb):
    """[(cell index, ename, evalue)] of every error output of an executed notebook."""
    return [(i, o.ename, o.evalue) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]
