"""The remembered request ids: the same cap and trimming for every entity, oldest first."""

from __future__ import annotations

from workflows.request_memory import MAX_REMEMBERED_REQUESTS, RequestMemory


def test_a_known_request_answers_with_its_version_and_a_new_one_with_none() -> None:
    memory = RequestMemory()
    memory.remember("r1", 3)
    memory.remember(None, 4)  # no id: nothing to remember
    assert memory.version_of("r1") == 3
    assert memory.version_of("r2") is None and memory.version_of(None) is None
    assert memory.carried() == {"r1": 3}


def test_the_oldest_requests_are_forgotten_beyond_the_cap() -> None:
    memory = RequestMemory()
    for n in range(MAX_REMEMBERED_REQUESTS + 2):
        memory.remember(f"r{n}", n)
    carried = memory.carried()
    assert len(carried) == MAX_REMEMBERED_REQUESTS
    assert memory.version_of("r0") is None and memory.version_of("r1") is None
    assert memory.version_of(f"r{MAX_REMEMBERED_REQUESTS + 1}") == MAX_REMEMBERED_REQUESTS + 1


def test_a_longer_memory_carried_from_an_earlier_run_is_trimmed_on_arrival() -> None:
    earlier = {f"r{n}": n for n in range(MAX_REMEMBERED_REQUESTS + 10)}
    memory = RequestMemory(earlier)
    assert len(memory.carried()) == MAX_REMEMBERED_REQUESTS
    assert next(iter(memory.carried())) == "r10"
