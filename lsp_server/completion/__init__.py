"""Inline completion: cache, post-processing, and the service that ties them to the engine."""
