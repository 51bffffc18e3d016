"""Scorers: leaves reused on teacher solutions and on student samples. `code_extraction` (code out of a reply),
`static_analysis` (compile-run and pylint views), `judge_parser` (reading the 0-6 rubric judge's reply),
`judging` (running the judge over attempts), `judge_scoring` (JSON schema, G-Eval, anchors), `agreement`
(judge/test AUC), `agreement_vote` (Stage III's answer vote),
`agreed_tests` (tests from the agreed outputs), `passk` (pass@k), `stats` (CIs, paired tests),
`decontamination` (n-gram and ROUGE-L overlap with benchmarks). Not covered: running code (see `sandbox`)."""
