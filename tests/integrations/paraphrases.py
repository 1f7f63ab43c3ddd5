"""A small real corpus and queries that paraphrase one sentence of it each (no shared key words
beyond one or two), for the add-then-query tests in every framework."""

from __future__ import annotations

CORPUS: list[str] = [
    "The cat is sleeping on the warm windowsill.",
    "Stock markets fell sharply after the interest rate announcement.",
    "Add two cups of flour and stir the batter until it is smooth.",
    "The train to Osaka leaves from platform nine at seven o'clock.",
    "Regular exercise lowers the risk of heart disease.",
    "Our team fixed the bug that crashed the login page.",
    "Heavy rain is expected across the north tomorrow.",
    "She plays the violin in the city orchestra.",
]

# query -> index in CORPUS of the sentence it paraphrases
QUERIES: dict[str, int] = {
    "A kitten naps on the sunny window ledge.": 0,
    "Share prices dropped steeply once rates were announced.": 1,
    "Developers repaired the error that broke signing in.": 5,
    "Tomorrow the northern regions will get a lot of rainfall.": 6,
}
