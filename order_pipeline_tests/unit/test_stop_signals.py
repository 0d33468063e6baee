"""commands/signals.py: the first stop signal interrupts, later ones are counted and ignored, and a signal that
comes while a child process is started and recorded waits for the end of that block. (The real commands under
real signals: system/test_run_command.py.)"""

from __future__ import annotations

import os
import signal

import pytest

from order_pipeline.commands.signals import Shutdown, StopRequested, held_signals


def test_the_first_signal_interrupts_and_every_later_one_is_counted_not_obeyed():
    # Whatever handler was there before comes back (in a full run an earlier test's Dagster code may have left
    # SIGTERM on default_int_handler, so SIG_DFL is not a safe expectation).
    before = signal.getsignal(signal.SIGTERM)
    with Shutdown() as shutdown:
        with pytest.raises(StopRequested):
            os.kill(os.getpid(), signal.SIGTERM)
            signal.pause()  # not reached: the handler raises in this thread
        shutdown.cleaning_up()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            os.kill(os.getpid(), sig)  # what make passes on, an impatient Ctrl-C, a closed terminal
        assert shutdown.summary() == "stopped on SIGTERM; 3 more signal(s) while stopping, ignored"
    assert signal.getsignal(signal.SIGTERM) == before  # restored


def test_a_signal_during_a_held_block_is_raised_when_the_block_ends():
    recorded = []
    with Shutdown() as shutdown, pytest.raises(StopRequested):
        with held_signals():
            os.kill(os.getpid(), signal.SIGINT)
            recorded.append("child")  # the block goes on: the child started is recorded
        recorded.append("not reached")
    assert recorded == ["child"] and shutdown.summary() == "stopped on SIGINT"


def test_a_signal_during_the_cleanup_is_noted_and_nothing_is_interrupted():
    with Shutdown() as shutdown:
        shutdown.cleaning_up()
        os.kill(os.getpid(), signal.SIGHUP)
        with held_signals():
            pass
    assert shutdown.summary() == "1 signal(s) while stopping, ignored"
