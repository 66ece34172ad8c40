"""A ticket: its vocabulary and state, commands, transition rules, clocks and read-model rows."""
