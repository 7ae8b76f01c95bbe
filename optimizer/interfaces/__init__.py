"""Interfaces: the command line, the app's support code and texts, the app launcher."""
