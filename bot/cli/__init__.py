"""Command line: one module per command group (`lawbot` entry point in main.py)."""
