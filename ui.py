"""Starts the web chat (`qa/ui/`) on the seed articles or a folder you name.

python ui.py [--host 127.0.0.1] [--port 7860] [--articles seeds] [--index index] [--store URI]
"""

from qa.ui import main

if __name__ == "__main__":
    main()
