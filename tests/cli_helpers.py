"""Run ``workbook ...`` in-process for the command-line tests."""

from workbook.cli import main


def run_cli(capsys, *args):
    """``(exit status, stdout, stderr)`` of ``workbook *args``."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err
