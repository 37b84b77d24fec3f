"""Model files on disk: the registry of recommended models (registry.py), downloads
(download.py), `infill models` (command.py), GGUF headers (gguf_header.py) and the GPU
offload plan computed from them (vram.py)."""
