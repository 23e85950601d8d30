"""Recommendations, semantic product search, purchase propensity and customer segments."""
