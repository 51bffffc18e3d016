"""Models: where they come from (`registry`), how they generate (`backends`: the shared cached request path and `make_backend`; `hf_backend`: transformers
in this process; `openai_backend`:
OpenAI-compatible servers; the engines `llamacpp` (+ `llama_server`, the server process) and `ct2`), the on-disk cache of teacher
replies (`response_cache`), and the student with its LoRA adapter (`student`). Not covered: training
(stages/adapter.py) and prompts (prompts.py)."""
