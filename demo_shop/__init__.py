"""The demo shop: seeded, realistic data for the demo and the tests (not product code).

A fresh clone has no shop, so ``python -m store generate`` fills the store with one made
here: a catalogue (``catalogue``, drawn from the words in ``vocabulary``), customers with
hidden tastes (``customers``), a year of orders (``orders``) shaped by the shop's calendar
(``calendar``), browsing (``browsing``) and fixed demo customers the README and tests name
(``fixtures``). ``generator`` draws them into a plan, which ``rows`` turns into table rows.
The product packages (store, actions, console, promotions, recsys) never import this
package at module level, so a real shop runs without it.
"""
