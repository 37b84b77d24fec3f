"""Model engines: the Engine protocol, the llama.cpp (GGUF) engine, the remote engine
(OpenAI-compatible and llama.cpp servers), FIM prompt templates, GPU offload planning
(vram.py) and the registry of downloadable models."""
