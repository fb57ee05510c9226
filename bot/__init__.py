"""The assistant core: Vietnamese text handling, NLU components, answer rendering and the CLI."""
