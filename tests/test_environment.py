"""Do the pins of pyproject.toml and environment.yml agree?"""
import pathlib
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_environment_yml_mirrors_pyproject_pins():
    """Is every pinned dependency of pyproject.toml listed with the same pin in environment.yml, and nothing else?"""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert all("==" in dep for dep in project), f"unpinned dependencies: {[d for d in project if '==' not in d]}"
    assert sorted(project) == sorted(pip_section)
    assert "python=3.11" in env["dependencies"]
