"""Generation tasks: each is two pure halves around one LLM call.

``format_input(item) -> list[Message]`` builds the prompt from a template;
``format_output(completion, item) -> list[Record]`` parses the completion into rows and
raises ``ParseError`` (with a reason code) when it cannot. Neither half touches Beam.
"""
