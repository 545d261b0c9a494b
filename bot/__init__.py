"""KL Miljøvarme's privacy assistant: shared code for the Rasa server, actions and CLI."""
