"""Recommendation: seeds -> query -> candidates -> filters -> rerank -> explanations."""
