"""Rasa graph components for Vietnamese: the tokenizer and the KB-backed procedure resolver."""
