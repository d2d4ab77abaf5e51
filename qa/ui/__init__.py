"""The web chat (Gradio): `build_app`, `launch`, and `main`, which `ui.py` runs."""

from .app import build_app, launch, main

__all__ = ["build_app", "launch", "main"]
