"""Choosing and pulling a model from the editor: the infill/models and infill/pullModel requests.

choices.py lists what can be picked (no LSP there); pull.py runs a registry download with
progress and a stop; feature.py is the LSP side.
"""
