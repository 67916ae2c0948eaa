"""`lab`: JupyterLab on the course, started where nbgrader's extension finds everything.

The server's root is the repository root, which holds ``nbgrader_config.py`` (so Formgrader,
the Assignment List and the Validate button find the course) and both ``notebooks/`` and
``solutions/`` (so Formgrader's links to the source notebooks open). Students start in
``notebooks/``, instructors (``--instructor``) in the root with Formgrader a click away.
Kernels use IPC transport: they run on this machine, so no TCP ports are opened for them.

This module is also a Jupyter server extension (``autograder.lab``, enabled by the command): it
serves the Validate button with the summary of ``autograder.validate`` instead of nbgrader's
wall of test sources.
"""
import os
import sys

from autograder import course


def argv(instructor=False, port=None, no_browser=False, token=None, extra=()):
    """The `jupyter lab` command line for the course."""
    args = [sys.executable, "-m", "jupyterlab",
            f"--ServerApp.root_dir={course.ROOT}",
            f"--ContentsManager.preferred_dir={'' if instructor else 'notebooks'}",
            "--KernelManager.transport=ipc",
            "--ServerApp.jpserver_extensions=autograder.lab=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")  # containers and CI run as root; Jupyter refuses it without this
    if port is not None:
        args += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if no_browser:
        args.append("--no-browser")
    if token is not None:
        args.append(f"--IdentityProvider.token={token}")
    return args + list(extra)


def run(instructor=False, port=None, no_browser=False):
    """Replace this process by JupyterLab, started in the repository root (nbgrader reads its config there)."""
    os.chdir(course.ROOT)
    command = argv(instructor, port, no_browser)
    os.execv(command[0], command)


def _jupyter_server_extension_points():
    return [{"module": "autograder.lab"}]


def _load_jupyter_server_extension(serverapp):
    """Answer the Validate button's requests with the summary (before nbgrader's handler sees them)."""
    from jupyter_server.utils import url_path_join
    from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler
    from tornado import web
    from tornado.routing import HostMatches, Rule
    from tornado.web import _ApplicationRouter

    from autograder.validate import button_result

    class SummaryValidateHandler(ValidateAssignmentHandler):
        """nbgrader's Validate endpoint, answered by autograder.validate.button_result."""

        def validate_notebook(self, path):
            root = os.path.realpath(serverapp.root_dir)
            target = os.path.realpath(os.path.join(root, path))
            if os.path.commonpath([root, target]) != root:
                raise web.HTTPError(403, "Access denied: path outside allowed directory")
            try:
                return {"success": True, "value": button_result(target)}
            except Exception as err:  # shown by the button as "There was an error running the validate command"
                self.log.exception("validate failed")
                return {"success": False, "value": f"{type(err).__name__}: {err}"}

    app = serverapp.web_app
    pattern = url_path_join(app.settings["base_url"], "/assignments/validate")
    # first in the router: a request for another path falls through to the next rule
    app.default_router.rules.insert(0, Rule(HostMatches(".*$"),
                                            _ApplicationRouter(app, [(pattern, SummaryValidateHandler)])))
    serverapp.log.info("autograder: the Validate button shows a summary first")
