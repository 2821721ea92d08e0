"""Fixtures of the privacy attacks: the story of tests/privacy/harness.py, told once per backend.

Every attack reads the same recorded story, so the whole suite costs two stories (SQLite and
PostgreSQL), not one per attack.
"""

from __future__ import annotations

import pytest

from tests.privacy.harness import Story, tell


class Stories:
    """Tells each backend's story on first use and keeps it (or why it could not be told)."""

    def __init__(self, folders: pytest.TempPathFactory) -> None:
        self.folders = folders
        self.told: dict[str, Story | BaseException] = {}

    def __call__(self, backend: str) -> Story:
        if backend not in self.told:
            try:
                self.told[backend] = tell(backend, self.folders.mktemp(f"story-{backend}"))
            except (Exception, pytest.skip.Exception, pytest.fail.Exception) as failure:
                self.told[backend] = failure
        told = self.told[backend]
        if isinstance(told, BaseException):
            raise told
        return told


@pytest.fixture(scope="session")
def stories(tmp_path_factory: pytest.TempPathFactory) -> Stories:
    return Stories(tmp_path_factory)


@pytest.fixture
def story(backend: str, stories: Stories) -> Story:
    return stories(backend)


@pytest.fixture
def postgres_story(stories: Stories) -> Story:
    return stories("postgresql")
