"""How amounts and lists read to a customer, the same in every package that says them.

Actions, promotions and the console all put prices and lists into sentences; when each
kept its own formatter a customer read "£5" in one message and "£5.00" in the next. The
rule, everywhere: a whole amount drops its pence ("£50"), any other amount shows two
decimals ("£3.95", "£12.50"), thousands are grouped ("£1,250"); a currency without a
sign here is written with its code first ("CHF 12.50"). Lists read "a, b and c".

Pure functions, no I/O, nothing imported from the rest of the project, so any package
may import this module.
"""

from __future__ import annotations

from collections.abc import Iterable

CURRENCY_SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(amount: float, currency: str = "GBP") -> str:
    """``amount`` as a customer reads it: "£39", "€12.50", "£1,250", "CHF 3", "-£5"."""
    code = currency.strip().upper()
    sign = CURRENCY_SIGNS.get(code, f"{code} ")
    # Rounded to whole pence first, so 4.999 reads "£5" rather than "£5.00".
    pence = round(abs(amount) * 100)
    pounds, rest = divmod(pence, 100)
    number = f"{pounds:,}" if rest == 0 else f"{pounds:,}.{rest:02d}"
    minus = "-" if pence and amount < 0 else ""
    return f"{minus}{sign}{number}"


def join_words(items: Iterable[str], last: str = "and") -> str:
    """Items as said aloud: "a", "a and b", "a, b and c" (``last="or"``: "a, b or c").

    No serial comma, as British English writes it; an empty list gives "".
    """
    words = [str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"
