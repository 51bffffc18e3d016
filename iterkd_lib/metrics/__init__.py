"""Hugging Face `evaluate` metric modules scored through the IterKD sandbox (load one by its folder path).

Not covered: anything the workbench itself runs (it scores through `sandbox` and `scoring` directly).
"""
