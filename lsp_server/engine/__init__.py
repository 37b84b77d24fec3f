"""The engines that run a model: the Engine protocol (base.py), llama.cpp on a GGUF file
(llama_cpp_engine.py), a remote OpenAI-compatible or llama.cpp server (remote.py), the one
thread that runs them (worker.py), and the host that loads them and runs jobs (host.py)."""
