"""Few-shot examples for call-first tool use: a planned call -> the request that states it.

Their tools are in no library (nothing leaks into labels), and a request a model copies from
here is dropped by the grounding stage (``copied_example``). Each example is the prompt a
call renders to (``describe_calls``'s format) and the request a user would write.
"""

from __future__ import annotations

from typing import NamedTuple


class Example(NamedTuple):
    prompt: str
    request: str


SINGLE: tuple[Example, ...] = (
    Example(
        "Task: Get the current weather for a city.\nValues: city = Lisbon; unit = celsius",
        "What's the weather like in Lisbon right now, in celsius?",
    ),
    Example(
        "Task: Search for flights between two airports on a date.\nValues: origin = Boston; destination = Denver; date = 2025-05-12",
        "Can you find me a flight from Boston to Denver on 2025-05-12?",
    ),
    Example(
        "Task: Translate text into another language.\nValues: text = good night; target language = Italian",
        "How do I say 'good night' in Italian?",
    ),
    Example(
        "Task: Reserve a table at a restaurant.\nValues: restaurant = Casa Nova; people = 6; time = 20:15",
        "Please book a table for 6 at Casa Nova at 20:15.",
    ),
    Example("Task: Set a countdown timer.\nValues: minutes = 25", "Set a timer for 25 minutes."),
    Example(
        "Task: Convert an amount of money between currencies.\nValues: amount = 120; from currency = EUR; to currency = JPY",
        "How much is 120 EUR in JPY?",
    ),
    Example(
        "Task: Find recipes that use an ingredient.\nValues: ingredient = chickpeas; max results = 4",
        "Show me 4 recipes I can make with chickpeas.",
    ),
    Example(
        "Task: Send an email message.\nValues: recipient = dana.reyes@example.com; subject = Invoice 2291",
        "Email dana.reyes@example.com with the subject Invoice 2291.",
    ),
    Example(
        "Task: Compute the monthly payment of a loan.\nValues: principal = 18000; annual rate = 4.5; years = 5",
        "What would my monthly payment be on an 18000 loan at 4.5% a year over 5 years?",
    ),
    Example(
        "Task: Look up the opening hours of a library branch.\nValues: branch = Hillcrest; day = Saturday",
        "When is the Hillcrest library branch open on Saturday?",
    ),
    Example(
        "Task: Estimate the calories burned by an activity.\nValues: activity = cycling; minutes = 45; weight kg = 70",
        "How many calories does a 70 kg person burn cycling for 45 minutes?",
    ),
    Example(
        "Task: Get the population of a city in a year.\nValues: city = Porto; year = 2010",
        "What was the population of Porto in 2010?",
    ),
)

MULTI: tuple[Example, ...] = (
    Example(
        "Task 1: Get the current weather for a city.\nValues: city = Oslo\nTask 2: Get the current weather for a city.\nValues: city = Rome",
        "What's the weather in Oslo and in Rome right now?",
    ),
    Example(
        "Task 1: Convert an amount of money between currencies.\nValues: amount = 40; from currency = USD; to currency = GBP\n"
        "Task 2: Set a countdown timer.\nValues: minutes = 10",
        "Convert 40 USD to GBP, and set a timer for 10 minutes.",
    ),
    Example(
        "Task 1: Get the population of a city in a year.\nValues: city = Quito; year = 1990\n"
        "Task 2: Get the population of a city in a year.\nValues: city = Lima; year = 2000",
        "What was the population of Quito in 1990, and of Lima in 2000?",
    ),
    Example(
        "Task 1: Translate text into another language.\nValues: text = thank you; target language = Greek\n"
        "Task 2: Find recipes that use an ingredient.\nValues: ingredient = lentils",
        "Translate 'thank you' into Greek, and find me some recipes with lentils.",
    ),
    Example(
        "Task 1: Compute the area of a rectangle.\nValues: width = 3; height = 8\n"
        "Task 2: Compute the area of a rectangle.\nValues: width = 12; height = 5\n"
        "Task 3: Compute the area of a rectangle.\nValues: width = 7; height = 7",
        "What are the areas of rectangles that are 3 by 8, 12 by 5 and 7 by 7?",
    ),
    Example(
        "Task 1: Reserve a table at a restaurant.\nValues: restaurant = Blue Fig; people = 2; time = 19:00\n"
        "Task 2: Send an email message.\nValues: recipient = sam.ortiz@example.org; subject = Dinner",
        "Book a table for 2 at Blue Fig at 19:00, then email sam.ortiz@example.org with the subject Dinner.",
    ),
)


def all_requests() -> tuple[str, ...]:
    """Every example request: what the ``copied_example`` gate compares against."""
    return tuple(e.request for e in (*SINGLE, *MULTI))
