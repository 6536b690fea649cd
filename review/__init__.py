"""What people use: the CLI, renderings (terminal, HTML, JSON)."""
