"""bench.perf runs end to end on tiny sizes (its numbers are benchmarks, not asserted)."""

from bench import perf


def test_vision_cache_throughput_reports_a_ratio(efficientnet):
    row = perf.vision_cache_throughput("blocks.4", n=8, batch=4, repeats=1)
    assert row["ratio"] > 0 and row["bare_forward_images_per_s"] > 0


def test_tool_overhead_reports_both_timings(smollm2):
    row = perf.tool_overhead_text("smollm2-135m-instruct:model.layers.3.mlp:42", repeats=1)
    assert row["tool_call_s"] > 0 and row["bare_forward_s"] > 0
