"""Field-office sync inside the app: pairing (peers.py), the forms pull (pull.py), one run
(run.py), moving in from ODK Central (central_import.py), `flask sync` (cli.py), the worker's
job (jobs.py) and status. The protocol both sides speak, what a run sends and the central
server's side of it live in the top-level `sync/` package, which needs no app service."""
