"""API processes hand the interpreter lock on every 0.5 ms (cli/switching.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from rookery.cli.switching import API_SWITCH_INTERVAL, switch_threads_often


@pytest.fixture
def restored_interval() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("restored_interval")
def test_an_api_process_switches_threads_every_half_millisecond() -> None:
    sys.setswitchinterval(0.005)
    switch_threads_often()
    assert sys.getswitchinterval() == pytest.approx(API_SWITCH_INTERVAL)
    assert API_SWITCH_INTERVAL < 0.005  # shorter than CPython's default
