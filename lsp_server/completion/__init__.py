"""Inline completion: the feature (feature.py: textDocument/inlineCompletion and
infill/lastCompletion), the service that ties the engine, prompt and context together
(service.py), its cache and post-processing."""
