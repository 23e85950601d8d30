"""The models as a service for the shop's other systems: a versioned JSON API over HTTP.

``python -m api`` serves it (``API_HOST``:``API_PORT``); ``python -m api keys ...`` manages
the API keys its callers present. The same models the chat serves answer here: the
recommender loaded by ``recsys.serving`` and the propensity scores and segments that
training writes onto each customer (what the promotions decide on).
"""
