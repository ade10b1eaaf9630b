"""Shared fixtures: the sandbox served over HTTP and a CLI runner that talks to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import clikit


@pytest.fixture(scope="session")
def sandbox_http() -> Iterator[Any]:
    from doctor.sandbox.server import http_server

    with http_server(seed_fleet=True) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("plugin")
    clikit.make_fake_plugin(directory)
    return directory


@pytest.fixture
def faults() -> Iterator[Any]:
    from doctor.sandbox.moto_ext import FAULTS

    FAULTS.clear()
    yield FAULTS
    FAULTS.clear()


@pytest.fixture
def cli(sandbox_http: Any, plugin_dir: Path) -> Callable[..., clikit.Result]:
    def run(*args: str, plugin: bool = True, env: dict[str, str] | None = None, stdin: str | None = None
            ) -> clikit.Result:
        full_env = clikit.base_env(sandbox_http.endpoint_url, plugin_dir if plugin else None)
        full_env.update(env or {})
        return clikit.run(list(args), full_env, stdin=stdin)

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite the golden report files under tests/golden instead of comparing with them",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files should be rewritten (--update-golden or UPDATE_GOLDEN=1)."""
    import os

    return bool(request.config.getoption("--update-golden")) or os.environ.get("UPDATE_GOLDEN") == "1"
