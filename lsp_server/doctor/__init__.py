"""`infill doctor` and the infill/doctor request: check a user's setup, each check with a
verdict and a fix.

One module per check (build, model_file, fim_tokens, vram, remote, selftest, index_state,
user_settings), the runner that orders them (runner.py), the report as text or JSON
(report.py), the command line (command.py) and the LSP request (feature.py), which runs the
same checks with the server's settings and its loaded model. Nothing is imported here, so
that the command line's parser does not load the checks.
"""
