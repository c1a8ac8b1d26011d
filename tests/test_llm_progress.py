from synthbeam.llm.progress import Progress


def test_rate_counts_from_server_ready_and_estimates_what_is_left(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("synthbeam.llm.progress.time.monotonic", lambda: now[0])
    progress = Progress(every_s=1e9)  # constructed at 100 s
    now[0] = 160.0
    progress.ready()  # the server answers 60 s later
    for _ in range(10):
        progress.submit()
    for _ in range(4):
        progress.finish(completion_tokens=50, cached=False, failed=False)
    progress.finish(completion_tokens=0, cached=True, failed=False)
    assert progress.summary(now=170.0) == (
        "LLM requests 5/10 done (1 cached, 0 failed), 20.0 output tok/s, 70 s elapsed, ~12 s left for those submitted"
    )
