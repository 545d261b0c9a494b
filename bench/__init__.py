"""Benchmarks: NLU (bench.nlu) and full conversation turns (bench.turns); see bench.run."""
