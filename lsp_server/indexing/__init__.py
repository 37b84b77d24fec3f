"""The workspace index in the server: the thread that builds and updates it (host.py) and
the feature that feeds it editor changes and answers workspace/symbol (feature.py)."""
