"""Tool libraries (OpenAI / BFCL / xLAM definitions), bundled implementations and the sandbox.

Kept free of imports: ``sandbox_child.py`` imports ``synthbeam.tools.builtin`` inside the
sandbox, where only the standard library is available.
"""
