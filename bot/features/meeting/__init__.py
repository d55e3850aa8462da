"""The weekly planning meeting: updates asked for before it, and its agenda posted at its time."""
