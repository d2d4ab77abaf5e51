import subprocess
import sys


def test_the_data_types_import_nothing_heavy():
    """`qa.answers` (Passage, Answer, Citation) and `qa.Settings` load without FAISS or torch."""
    code = (
        "import sys, qa, qa.answers\n"
        "heavy = {'faiss', 'torch', 'sentence_transformers', 'xllamacpp'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
        "qa.Settings.from_env()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
