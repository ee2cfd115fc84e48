"""Committed histories replay against the current workflow code.

A failure here means a workflow change altered the order of commands for
histories already recorded; put the change behind workflow.patched.
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import INTERCEPTORS, WORKFLOWS

HISTORY_FILES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_committed() -> None:
    assert len(HISTORY_FILES) >= 7


@pytest.mark.parametrize("path", HISTORY_FILES, ids=lambda path: path.stem)
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS,
        interceptors=INTERCEPTORS,
        data_converter=pydantic_data_converter,
    )

    result = await replayer.replay_workflow(
        WorkflowHistory.from_json(path.stem, path.read_text()),
        raise_on_replay_failure=False,
    )

    assert result.replay_failure is None
