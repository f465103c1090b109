"""Running Scheda: the health endpoint, request ids and the logs that carry them."""
