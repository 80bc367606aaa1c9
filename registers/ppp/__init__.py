"""Public-private partnership (PPP): the preliminary assessment as pure functions."""
