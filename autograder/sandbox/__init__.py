"""Running one untrusted submission in a sandbox of its own.

- ``protocol``: the request/result format, limits and their defaults, event kinds (standard library only);
- ``host``: the grader's side: what the machine offers (``detect``), the filesystem view, ``Sandbox.run``;
- ``worker``: the script run inside the sandbox: executes the notebook with nbclient;
- ``kernel``: the script that starts the guarded kernel inside the sandbox.

``worker`` and ``kernel`` run as scripts with this folder first on ``sys.path``; nothing here is
imported by them, so this file stays empty.
"""
