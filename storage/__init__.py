"""Tables, the engine and the queries. Imports nothing of ours."""
