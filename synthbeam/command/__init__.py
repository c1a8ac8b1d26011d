"""The ``synthbeam`` command line's parts: recipe files, help, checks, logging, progress, dry runs.

Nothing here imports Beam, vLLM or PyTorch at import time: ``--help`` and option errors
answer in a fraction of a second; a run loads its pipeline only once its options are right.
"""
