"""Few-shot examples for call-first tool use: the pipeline's plain request -> a user's words.

The pipeline writes a plain request for its planned calls (``draft_request``); the model
rewrites it as a user would ask, keeping every value. Their tools are in no library, and a
request a model copies from here is dropped by the grounding stage (``copied_example``).
"""

from __future__ import annotations

from typing import NamedTuple


class Example(NamedTuple):
    prompt: str  # a plain request in ``draft_request``'s form
    request: str  # the same request in a user's words, every value kept


SINGLE: tuple[Example, ...] = (
    Example(
        "Get the current weather for city Lisbon and unit celsius.",
        "What's the weather like in Lisbon right now, in celsius?",
    ),
    Example(
        "Search flights for origin Boston, destination Denver and date 2025-05-12.",
        "Can you find me a flight from Boston to Denver on 2025-05-12?",
    ),
    Example("Translate text for text good night and target language Italian.", "How do I say 'good night' in Italian?"),
    Example(
        "Reserve a table at a restaurant for restaurant Casa Nova, people 6 and time 20:15.",
        "Please book a table for 6 at Casa Nova at 20:15.",
    ),
    Example("Set a countdown timer for minutes 25.", "Set a timer for 25 minutes."),
    Example(
        "Convert an amount of money between currencies for amount 120, from currency EUR and to currency JPY.",
        "How much is 120 EUR in JPY?",
    ),
    Example(
        "Find recipes that use an ingredient for ingredient chickpeas and max results 4.",
        "Show me 4 recipes I can make with chickpeas.",
    ),
    Example(
        "Send an email message for recipient dana.reyes@example.com and subject Invoice 2291.",
        "Email dana.reyes@example.com with the subject Invoice 2291.",
    ),
    Example(
        "Compute the monthly payment of a loan for principal 18000, annual rate 4.5 and years 5.",
        "What would my monthly payment be on an 18000 loan at 4.5% a year over 5 years?",
    ),
    Example(
        "Look up the opening hours of a library branch for branch Hillcrest and day Saturday.",
        "When is the Hillcrest library branch open on Saturday?",
    ),
    Example(
        "Estimate the calories burned by an activity for activity cycling, minutes 45 and weight kg 70.",
        "How many calories does a 70 kg person burn cycling for 45 minutes?",
    ),
    Example("Get the population of a city for city Porto and year 2010.", "What was the population of Porto in 2010?"),
)

MULTI: tuple[Example, ...] = (
    Example(
        "Get the current weather for city Oslo. Also, get the current weather for city Rome.",
        "What's the weather in Oslo and in Rome right now?",
    ),
    Example(
        "Convert an amount of money between currencies for amount 40, from currency USD and to currency GBP. "
        "Also, set a countdown timer for minutes 10.",
        "Convert 40 USD to GBP, and set a timer for 10 minutes.",
    ),
    Example(
        "Get the population of a city for city Quito and year 1990. Also, get the population of a city for city Lima and year 2000.",
        "What was the population of Quito in 1990, and of Lima in 2000?",
    ),
    Example(
        "Translate text for text thank you and target language Greek. Also, find recipes that use an ingredient for ingredient lentils.",
        "Translate 'thank you' into Greek, and find me some recipes with lentils.",
    ),
    Example(
        "Compute the area of a rectangle for width 3 and height 8. Also, compute the area of a rectangle for width 12 and height 5. "
        "Also, compute the area of a rectangle for width 7 and height 7.",
        "What are the areas of rectangles that are 3 by 8, 12 by 5 and 7 by 7?",
    ),
    Example(
        "Reserve a table at a restaurant for restaurant Blue Fig, people 2 and time 19:00. "
        "Also, send an email message for recipient sam.ortiz@example.org and subject Dinner.",
        "Book a table for 2 at Blue Fig at 19:00, then email sam.ortiz@example.org with the subject Dinner.",
    ),
)


def all_requests() -> tuple[str, ...]:
    """Every example request: what the ``copied_example`` gate compares against."""
    return tuple(e.request for e in (*SINGLE, *MULTI))
