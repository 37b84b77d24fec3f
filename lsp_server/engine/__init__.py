"""Model engines: the Engine protocol, the llama.cpp (GGUF) engine, FIM prompt templates."""
