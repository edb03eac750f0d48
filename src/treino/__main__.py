"""``python -m treino`` is the ``treino`` command."""

from treino.cli import main

main(prog_name="treino")
