"""The command line: parsing, messages, exit codes. The typer app is in main.py.

Commands import what they run inside their bodies, so `asnsql --help` stays light.
"""
