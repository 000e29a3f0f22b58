"""The needs engine: pure functions over plain data (model.py) that compute an event's status snapshot."""
