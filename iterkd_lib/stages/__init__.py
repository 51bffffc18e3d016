"""One module per run file of a cycle, in pipeline order (the order itself lives only in `cycle.py`):

    teacher_attempts (02) -> adapter (04) -> feedback (05, 06) -> levels (07) -> new_questions (08) -> evaluation (09)

Stage modules never import each other; what two stages share lives in a capability module or `records.py`.
"""
