"""Scorers: leaves reused on teacher solutions and on student samples. `code_extraction` (code out of a reply),
`static_analysis` (compile-run and pylint views), `judge_parser` (the 0-6 rubric judge), `passk` (pass@k),
`decontamination` (n-gram and ROUGE-L overlap with benchmarks). Not covered: running code (see `sandbox`)."""
